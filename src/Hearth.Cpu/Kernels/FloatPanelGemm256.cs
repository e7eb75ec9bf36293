using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Hearth.Core.Gguf;

namespace Hearth.Cpu.Kernels;

/// <summary>Multi-token matmul for F32, F16 and BF16 weights on the AVX2 rung: <see cref="FloatPanelGemm"/>'s scheme
/// in 256 bits. Three weight rows of a column block are widened to F32 once into a small per-thread panel and then
/// multiplied against every token of the token block, three rows × four tokens at a time: 12 accumulators, the three
/// row vectors and one activation vector are AVX2's 16 ymm registers, and each 8-column step is 7 loads for 12 FMAs,
/// so the kernel runs at the FMA rate instead of converting F16 per token and per row (the row kernel
/// <see cref="DotF16"/> did, ~0.3× the Q8_0 packed path's prompt speed). Edge tiles (1–2 rows, 1–3 tokens) are the
/// same body specialised by the JIT.</summary>
internal static unsafe class FloatPanelGemm256
{
    public const int RowTile = 3, TokenTile = 4;

    /// <summary>Columns per block: the panel (3 rows) and a tile's four activation rows take 14 KB of L1.</summary>
    public const int ColumnBlock = 512;

    /// <summary>Whether this path handles the weight type on this machine (AVX2 + FMA; the AVX-512 rung has its own).</summary>
    public static bool Supports(CpuIsa isa, GgmlType type) =>
        isa.Use256 && !isa.Use512 && Fma.IsSupported && type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16;

    /// <summary>y[t, n] for n in [n0, n1) and every t &lt; tokens.</summary>
    /// <param name="x">Activations, tokens × k, already rounded to the weight's dot type.</param>
    /// <param name="panel">Per-thread scratch of at least RowTile·<see cref="ColumnBlock"/> floats.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(GgmlType type, byte* w, long rowBytes, int n0, int n1, int k, float* x, int tokens, float* y, int yStride, float* panel)
    {
        // Token blocks of ~256 KB of activations per column block (half an L2), each widened panel reused for all of them.
        const int block = 256 * 1024 / (ColumnBlock * 4) / TokenTile * TokenTile;
        for (int t0 = 0; t0 < tokens; t0 += block)
        {
            int t1 = Math.Min(tokens, t0 + block);
            for (int c0 = 0; c0 < k; c0 += ColumnBlock)
            {
                int kc = Math.Min(ColumnBlock, k - c0);
                bool accumulate = c0 > 0;
                for (int n = n0; n < n1; n += RowTile)
                {
                    int rows = Math.Min(RowTile, n1 - n);
                    Widen(type, w + n * rowBytes, rowBytes, rows, c0, kc, panel);
                    for (int t = t0; t < t1; t += TokenTile)
                        Tile(rows, Math.Min(TokenTile, t1 - t), panel, kc, x + (long)t * k + c0, k, y + (long)t * yStride + n, yStride, accumulate);
                }
            }
        }
    }

    /// <summary>y[n] for n in [n0, n1) and one token, in exactly the arithmetic of <see cref="Rows"/> (the same
    /// 8-column FMA chain per row and column block, the same reduction, tail and block sums) with the weights widened
    /// in registers instead of through the panel: a token's result does not depend on how many tokens share the matmul,
    /// which the engine's batched-equals-alone guarantees rely on (a different summation order flips F16 activation
    /// roundings, which random test models amplify). Three rows at a time: three independent chains.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Decode(GgmlType type, byte* w, long rowBytes, int n0, int n1, int k, float* x, float* y)
    {
        for (int n = n0; n < n1; n += RowTile)
        {
            int rows = Math.Min(RowTile, n1 - n);
            byte* w0 = w + n * rowBytes;
            for (int c0 = 0; c0 < k; c0 += ColumnBlock)
            {
                int kc = Math.Min(ColumnBlock, k - c0);
                switch (type)
                {
                    case GgmlType.F32: DecodeBlock<F32Widen>(rows, w0, rowBytes, c0, kc, x + c0, y + n, c0 > 0); break;
                    case GgmlType.F16: DecodeBlock<F16Widen>(rows, w0, rowBytes, c0, kc, x + c0, y + n, c0 > 0); break;
                    default: DecodeBlock<BF16Widen>(rows, w0, rowBytes, c0, kc, x + c0, y + n, c0 > 0); break;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DecodeBlock<TW>(int rows, byte* w, long rowBytes, int c0, int kc, float* x, float* y, bool accumulate) where TW : struct, IWiden
    {
        Vector256<float> a0 = default, a1 = default, a2 = default;
        byte* w1 = w + rowBytes, w2 = w + 2 * rowBytes;
        int i = 0;
        if (rows == 3)
            for (; i + 8 <= kc; i += 8)
            {
                var v = Vector256.Load(x + i);
                a0 = Fma.MultiplyAdd(TW.Load(w, c0 + i), v, a0);
                a1 = Fma.MultiplyAdd(TW.Load(w1, c0 + i), v, a1);
                a2 = Fma.MultiplyAdd(TW.Load(w2, c0 + i), v, a2);
            }
        else
            for (; i + 8 <= kc; i += 8)
            {
                var v = Vector256.Load(x + i);
                a0 = Fma.MultiplyAdd(TW.Load(w, c0 + i), v, a0);
                if (rows > 1) a1 = Fma.MultiplyAdd(TW.Load(w1, c0 + i), v, a1);
            }
        var s = VectorSums.Sum4(a0, a1, a2, Vector256<float>.Zero);
        for (int r = 0; r < rows; r++)
        {
            float sum = s.GetElement(r);
            byte* wr = w + r * rowBytes;
            for (int j = i; j < kc; j++) sum = MathF.FusedMultiplyAdd(TW.Scalar(wr, c0 + j), x[j], sum);
            y[r] = accumulate ? y[r] + sum : sum;
        }
    }

    /// <summary>8 columns of a row as F32 from column c, and one column: the same values <see cref="Widen"/> writes.</summary>
    private interface IWiden
    {
        static abstract Vector256<float> Load(byte* row, int c);
        static abstract float Scalar(byte* row, int c);
    }

    private struct F32Widen : IWiden
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Load(byte* row, int c) => Vector256.Load((float*)row + c);
        public static float Scalar(byte* row, int c) => ((float*)row)[c];
    }

    /// <summary>F16 as the weight times 2^-112 (<see cref="Prescale"/> on the activation cancels it): sign-extended to
    /// 32 bits and shifted left by 13, exponent and mantissa land where an F32 has them and the sign copies are masked
    /// off (three ops per 8, against seven for <see cref="HalfBits"/>' exact value; subnormals become F32 subnormals,
    /// still exact). Products equal w·x exactly, so results are bit for bit those of unscaled weights.</summary>
    private struct F16Widen : IWiden
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Load(byte* row, int c) =>
            ((Avx2.ConvertToVector256Int32(Vector128.Load((short*)row + c)) << 13) & Vector256.Create(unchecked((int)0x8FFFFFFF))).AsSingle();

        public static float Scalar(byte* row, int c) => BitConverter.Int32BitsToSingle((((short*)row)[c] << 13) & unchecked((int)0x8FFFFFFF));
    }

    /// <summary>What F16 activations are multiplied by for this kernel (2^112, exact: |x| ≤ 65504 after rounding to F16).</summary>
    public const float Prescale = 5.192296858534828e+33f;

    private struct BF16Widen : IWiden
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Load(byte* row, int c) => (Avx2.ConvertToVector256Int32(Vector128.Load((ushort*)row + c)) << 16).AsSingle();
        public static float Scalar(byte* row, int c) => BitConverter.UInt32BitsToSingle((uint)((ushort*)row)[c] << 16);
    }

    /// <summary>Columns [c0, c0 + kc) of <paramref name="count"/> rows as F32, kc apart in the panel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Widen(GgmlType type, byte* src, long rowBytes, int count, int c0, int kc, float* panel)
    {
        for (int r = 0; r < count; r++)
        {
            byte* s = src + r * rowBytes;
            float* d = panel + (long)r * kc;
            int i = 0;
            switch (type)
            {
                case GgmlType.F32:
                    Buffer.MemoryCopy((float*)s + c0, d, kc * 4L, kc * 4L);
                    break;
                case GgmlType.F16:
                {
                    ushort* h = (ushort*)s + c0;
                    for (; i + 8 <= kc; i += 8) F16Widen.Load(s, c0 + i).Store(d + i);
                    for (; i < kc; i++) d[i] = F16Widen.Scalar(s, c0 + i);
                    break;
                }
                default: // BF16: the top half of an F32
                {
                    ushort* h = (ushort*)s + c0;
                    for (; i + 8 <= kc; i += 8)
                        (Avx2.ConvertToVector256Int32(Vector128.Load(h + i)) << 16).AsSingle().Store(d + i);
                    for (; i < kc; i++) d[i] = BitConverter.UInt32BitsToSingle((uint)h[i] << 16);
                    break;
                }
            }
        }
    }

    private static void Tile(int rows, int tokens, float* w, int k, float* x, long xStride, float* y, long yStride, bool accumulate)
    {
        switch (rows * 8 + tokens)
        {
            case 8 + 1: Tile<Count1, Count1>(w, k, x, xStride, y, yStride, accumulate); break;
            case 8 + 2: Tile<Count1, Count2>(w, k, x, xStride, y, yStride, accumulate); break;
            case 8 + 3: Tile<Count1, Count3>(w, k, x, xStride, y, yStride, accumulate); break;
            case 8 + 4: Tile<Count1, Count4>(w, k, x, xStride, y, yStride, accumulate); break;
            case 16 + 1: Tile<Count2, Count1>(w, k, x, xStride, y, yStride, accumulate); break;
            case 16 + 2: Tile<Count2, Count2>(w, k, x, xStride, y, yStride, accumulate); break;
            case 16 + 3: Tile<Count2, Count3>(w, k, x, xStride, y, yStride, accumulate); break;
            case 16 + 4: Tile<Count2, Count4>(w, k, x, xStride, y, yStride, accumulate); break;
            case 24 + 1: Tile<Count3, Count1>(w, k, x, xStride, y, yStride, accumulate); break;
            case 24 + 2: Tile<Count3, Count2>(w, k, x, xStride, y, yStride, accumulate); break;
            case 24 + 3: Tile<Count3, Count3>(w, k, x, xStride, y, yStride, accumulate); break;
            default: Tile<Count3, Count4>(w, k, x, xStride, y, yStride, accumulate); break;
        }
    }

    /// <summary>TR panel rows (w, w + k, …) × TN tokens (x, x + xStride, …) over k columns; aRU accumulates row R ·
    /// token U 8 columns at a time. Stores (or adds to) y[u·yStride + r] for r &lt; TR: one float at a time, as the
    /// row after the tile may belong to another thread's chunk.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TR, TN>(float* w, int k, float* x, long xStride, float* y, long yStride, bool accumulate)
        where TR : struct, ITileCount where TN : struct, ITileCount
    {
        int m = TR.N, n = TN.N;
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
        float* w1 = w + k, w2 = w + 2L * k;
        float* x1 = x + xStride, x2 = x + 2 * xStride, x3 = x + 3 * xStride;
        int i = 0;
        for (; i + 8 <= k; i += 8)
        {
            var r0 = Vector256.Load(w + i);
            var r1 = m > 1 ? Vector256.Load(w1 + i) : default;
            var r2 = m > 2 ? Vector256.Load(w2 + i) : default;
            var v = Vector256.Load(x + i);
            a00 = Fma.MultiplyAdd(r0, v, a00);
            if (m > 1) a10 = Fma.MultiplyAdd(r1, v, a10);
            if (m > 2) a20 = Fma.MultiplyAdd(r2, v, a20);
            if (n > 1)
            {
                v = Vector256.Load(x1 + i);
                a01 = Fma.MultiplyAdd(r0, v, a01);
                if (m > 1) a11 = Fma.MultiplyAdd(r1, v, a11);
                if (m > 2) a21 = Fma.MultiplyAdd(r2, v, a21);
            }
            if (n > 2)
            {
                v = Vector256.Load(x2 + i);
                a02 = Fma.MultiplyAdd(r0, v, a02);
                if (m > 1) a12 = Fma.MultiplyAdd(r1, v, a12);
                if (m > 2) a22 = Fma.MultiplyAdd(r2, v, a22);
            }
            if (n > 3)
            {
                v = Vector256.Load(x3 + i);
                a03 = Fma.MultiplyAdd(r0, v, a03);
                if (m > 1) a13 = Fma.MultiplyAdd(r1, v, a13);
                if (m > 2) a23 = Fma.MultiplyAdd(r2, v, a23);
            }
        }
        Finish(m, a00, a10, a20, w, k, i, x, y, accumulate);
        if (n > 1) Finish(m, a01, a11, a21, w, k, i, x1, y + yStride, accumulate);
        if (n > 2) Finish(m, a02, a12, a22, w, k, i, x2, y + 2 * yStride, accumulate);
        if (n > 3) Finish(m, a03, a13, a23, w, k, i, x3, y + 3 * yStride, accumulate);
    }

    /// <summary>Reduces one token's row accumulators, adds the columns past the last whole vector, stores
    /// <paramref name="rows"/> floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(int rows, Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, float* w, int k, int i, float* x, float* y, bool accumulate)
    {
        var s = VectorSums.Sum4(a0, a1, a2, Vector256<float>.Zero);
        for (int r = 0; r < rows; r++)
        {
            float v = s.GetElement(r);
            float* wr = w + (long)r * k;
            for (int j = i; j < k; j++) v = MathF.FusedMultiplyAdd(wr[j], x[j], v);
            y[r] = accumulate ? y[r] + v : v;
        }
    }
}
