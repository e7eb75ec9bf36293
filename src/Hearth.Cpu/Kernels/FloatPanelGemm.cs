using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Hearth.Core.Gguf;

namespace Hearth.Cpu.Kernels;

/// <summary>Multi-token matmul for F32, F16 and BF16 weights with AVX-512: four weight rows are widened to F32 once
/// into a small per-thread panel and then multiplied against every token, four rows × six tokens at a time
/// (24 accumulators, one load per FMA pair), so F16 costs the same per MAC as F32 once the batch is larger
/// than a few tokens. Results for a token's four rows are reduced together and stored as one 4-float vector.
/// Tokens are taken in blocks whose activations fit in L2, columns in blocks whose tile fits in L1. BF16 on machines
/// with AVX512_BF16 takes <see cref="BF16PanelGemm"/> instead, decode and batches alike.</summary>
internal static unsafe class FloatPanelGemm
{
    public const int RowTile = 4, TokenTile = 6;

    /// <summary>Whether this path handles the weight type on this machine.</summary>
    public static bool Supports(CpuIsa isa, GgmlType type) =>
        isa.Use512 && type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16;

    /// <summary>y[t, n] for n in [n0, n1) and every t &lt; tokens.</summary>
    /// <param name="x">Activations, tokens × k, already rounded to the weight's dot type.</param>
    /// <param name="panel">Per-thread scratch of at least RowTile·<see cref="ColumnBlock"/> floats.</param>
    /// <param name="copy">The weight's own copy (grouped or compact), widened instead of <paramref name="w"/> where given.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(CpuIsa isa, GgmlType type, byte* w, long rowBytes, int n0, int n1, int k, float* x, int tokens, float* y, int yStride, float* panel,
        Packed.IWidensRows? copy = null)
    {
        // Blocked so a tile's working set (4 panel rows + 6 activation rows of one column block, 40 KB) stays in L1:
        // unblocked, every FMA pair streamed from L2 and the kernel ran at half its FMA rate.
        // Token blocks of ~256 KB of activations per column block (L2), reusing each widened panel for all of them.
        const int block = 256 * 1024 / (ColumnBlock * 4) / TokenTile * TokenTile;
        for (int t0 = 0; t0 < tokens; t0 += block)
        {
            int t1 = Math.Min(tokens, t0 + block);
            for (int c0 = 0; c0 < k; c0 += ColumnBlock)
            {
                int kc = Math.Min(ColumnBlock, k - c0);
                bool accumulate = c0 > 0;
                int n = n0;
                for (; n + RowTile <= n1; n += RowTile)
                {
                    if (copy != null) copy.Widen(n, RowTile, c0, kc, panel);
                    else Widen(type, w + n * rowBytes, rowBytes, RowTile, c0, kc, panel);
                    for (int t = t0; t < t1; t += TokenTile)
                        Tile(Math.Min(TokenTile, t1 - t), panel, kc, x + (long)t * k + c0, k, y + (long)t * yStride + n, yStride, accumulate);
                }
                for (; n < n1; n++)
                {
                    if (copy != null) copy.Widen(n, 1, c0, kc, panel);
                    else Widen(type, w + n * rowBytes, rowBytes, 1, c0, kc, panel);
                    for (int t = t0; t < t1; t++)
                    {
                        float d = DotF32.Dot(isa, panel, x + (long)t * k + c0, kc);
                        y[(long)t * yStride + n] = accumulate ? y[(long)t * yStride + n] + d : d;
                    }
                }
            }
        }
    }

    /// <summary>Columns per block (the panel holds RowTile rows of this many).</summary>
    public const int ColumnBlock = 512;

    /// <summary>Columns [c0, c0 + kc) of <paramref name="count"/> rows as F32, kc apart in the panel.</summary>
    private static void Widen(GgmlType type, byte* src, long rowBytes, int count, int c0, int kc, float* panel)
    {
        for (int r = 0; r < count; r++)
        {
            byte* s = src + r * rowBytes;
            float* d = panel + (long)r * kc;
            switch (type)
            {
                case GgmlType.F32:
                    Buffer.MemoryCopy((float*)s + c0, d, kc * 4L, kc * 4L);
                    break;
                default:
                    WidenHalves(type, (ushort*)s + c0, kc, d);
                    break;
            }
        }
    }

    /// <summary><paramref name="count"/> F16 or BF16 values as F32.</summary>
    public static void WidenHalves(GgmlType type, ushort* h, int count, float* d)
    {
        int i = 0;
        if (type == GgmlType.F16)
        {
            for (; i + 16 <= count; i += 16)
                HalfBits.ToFloat(Avx512F.ConvertToVector512UInt32(Vector256.Load(h + i))).Store(d + i);
            for (; i < count; i++) d[i] = HalfBits.ToFloat(h[i]);
            return;
        }
        // BF16: the top half of an F32.
        for (; i + 16 <= count; i += 16)
            (Avx512F.ConvertToVector512UInt32(Vector256.Load(h + i)) << 16).AsSingle().Store(d + i);
        for (; i < count; i++) d[i] = BitConverter.UInt32BitsToSingle((uint)h[i] << 16);
    }

    private static void Tile(int tokens, float* w, int k, float* x, long xStride, float* y, long yStride, bool accumulate)
    {
        switch (tokens)
        {
            case 1: Tile<Count1>(w, k, x, xStride, y, yStride, accumulate); break;
            case 2: Tile<Count2>(w, k, x, xStride, y, yStride, accumulate); break;
            case 3: Tile<Count3>(w, k, x, xStride, y, yStride, accumulate); break;
            case 4: Tile<Count4>(w, k, x, xStride, y, yStride, accumulate); break;
            case 5: Tile<Count5>(w, k, x, xStride, y, yStride, accumulate); break;
            default: Tile<Count6>(w, k, x, xStride, y, yStride, accumulate); break;
        }
    }

    /// <summary>Four panel rows (w, w + k, …) × TN tokens (x, x + xStride, …) over k columns; a[r][u] accumulates
    /// row r · token u 16 columns at a time. Stores (or adds to) y[u·yStride + r].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TN>(float* w, int k, float* x, long xStride, float* y, long yStride, bool accumulate) where TN : struct, ITileCount
    {
        int n = TN.N;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a04 = default, a05 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a24 = default, a25 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default, a34 = default, a35 = default;
        float* w1 = w + k, w2 = w + 2L * k, w3 = w + 3L * k;
        float* x1 = x + xStride, x2 = x + 2 * xStride, x3 = x + 3 * xStride, x4 = x + 4 * xStride, x5 = x + 5 * xStride;
        int i = 0;
        for (; i + 16 <= k; i += 16)
        {
            var r0 = Vector512.Load(w + i); var r1 = Vector512.Load(w1 + i);
            var r2 = Vector512.Load(w2 + i); var r3 = Vector512.Load(w3 + i);
            var v = Vector512.Load(x + i);
            a00 = Vector512.FusedMultiplyAdd(r0, v, a00); a10 = Vector512.FusedMultiplyAdd(r1, v, a10);
            a20 = Vector512.FusedMultiplyAdd(r2, v, a20); a30 = Vector512.FusedMultiplyAdd(r3, v, a30);
            if (n > 1)
            {
                v = Vector512.Load(x1 + i);
                a01 = Vector512.FusedMultiplyAdd(r0, v, a01); a11 = Vector512.FusedMultiplyAdd(r1, v, a11);
                a21 = Vector512.FusedMultiplyAdd(r2, v, a21); a31 = Vector512.FusedMultiplyAdd(r3, v, a31);
            }
            if (n > 2)
            {
                v = Vector512.Load(x2 + i);
                a02 = Vector512.FusedMultiplyAdd(r0, v, a02); a12 = Vector512.FusedMultiplyAdd(r1, v, a12);
                a22 = Vector512.FusedMultiplyAdd(r2, v, a22); a32 = Vector512.FusedMultiplyAdd(r3, v, a32);
            }
            if (n > 3)
            {
                v = Vector512.Load(x3 + i);
                a03 = Vector512.FusedMultiplyAdd(r0, v, a03); a13 = Vector512.FusedMultiplyAdd(r1, v, a13);
                a23 = Vector512.FusedMultiplyAdd(r2, v, a23); a33 = Vector512.FusedMultiplyAdd(r3, v, a33);
            }
            if (n > 4)
            {
                v = Vector512.Load(x4 + i);
                a04 = Vector512.FusedMultiplyAdd(r0, v, a04); a14 = Vector512.FusedMultiplyAdd(r1, v, a14);
                a24 = Vector512.FusedMultiplyAdd(r2, v, a24); a34 = Vector512.FusedMultiplyAdd(r3, v, a34);
            }
            if (n > 5)
            {
                v = Vector512.Load(x5 + i);
                a05 = Vector512.FusedMultiplyAdd(r0, v, a05); a15 = Vector512.FusedMultiplyAdd(r1, v, a15);
                a25 = Vector512.FusedMultiplyAdd(r2, v, a25); a35 = Vector512.FusedMultiplyAdd(r3, v, a35);
            }
        }
        Finish(a00, a10, a20, a30, w, k, i, x, y, accumulate);
        if (n > 1) Finish(a01, a11, a21, a31, w, k, i, x1, y + yStride, accumulate);
        if (n > 2) Finish(a02, a12, a22, a32, w, k, i, x2, y + 2 * yStride, accumulate);
        if (n > 3) Finish(a03, a13, a23, a33, w, k, i, x3, y + 3 * yStride, accumulate);
        if (n > 4) Finish(a04, a14, a24, a34, w, k, i, x4, y + 4 * yStride, accumulate);
        if (n > 5) Finish(a05, a15, a25, a35, w, k, i, x5, y + 5 * yStride, accumulate);
    }

    /// <summary>Reduces one token's four row accumulators, adds the columns past the last whole vector, stores 4 floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3, float* w, int k, int i, float* x, float* y, bool accumulate)
    {
        var s = VectorSums.Sum4(a0, a1, a2, a3);
        for (; i < k; i++)
            s += Vector128.Create(w[i], w[k + i], w[2L * k + i], w[3L * k + i]) * x[i];
        if (accumulate) s += Vector128.Load(y);
        s.Store(y);
    }
}
