using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Hearth.Core.Gguf;
using Hearth.Cpu.Emitted;
using Hearth.Cpu.Packed;

namespace Hearth.Cpu.Kernels;

/// <summary>BF16 matmul on machines with AVX512_BF16, for every token count: four weight rows of a column block are
/// put in a small per-thread panel as BF16 (copied from the file's rows, or decoded from the backend's copy), then
/// multiplied against the tokens' BF16 activations four rows × six tokens at a time by the emitted vdpbf16ps tile
/// (<see cref="EmittedBF16Code"/>): two multiply-adds a lane per instruction where the F32 panel kernel does one, on
/// the same values (the activation is already rounded to BF16, and a product of two BF16 is exact in F32).
///
/// <para>Decode runs the same path with one token, so a sequence's step gives the same bits alone as in a batch; the
/// copies (plain rows, <see cref="CompactBF16Weight"/>, <see cref="GroupedHalfWeight"/>) give the same panel and so the
/// same bits (a compact copy's one-token product skips the panel: <see cref="EmittedCompactBF16Code"/> makes the tile's
/// accumulators from the blocks in registers). vdpbf16ps adds a lane's two products in its own order and flushes subnormal inputs and results to zero,
/// so its sums differ from the F32 kernels' in the last bits: a machine runs every BF16 product here or none.</para>
///
/// <para>Per column block a row's 16 lanes are reduced with the three other rows' (<see cref="VectorSums.Sum4(Vector512{float}, Vector512{float}, Vector512{float}, Vector512{float})"/>),
/// columns past the block's last whole 32 are added one by one in F32, and the block's sums add to y in order.</para></summary>
internal static unsafe class BF16PanelGemm
{
    public const int RowTile = EmittedBF16Code.Rows, TokenTile = EmittedBF16Code.MaxTokens;

    /// <summary>Columns per block: a 4-row panel (8 KB) and six tokens' activations (12 KB) stay in L1.</summary>
    public const int ColumnBlock = 1024;

    /// <summary>BF16 values a thread's panel holds.</summary>
    public const int PanelValues = RowTile * ColumnBlock;

    /// <summary>Whether BF16 products run here on this backend (<see cref="CpuIsa.UseEmittedBF16"/>).</summary>
    public static bool Supports(CpuIsa isa, GgmlType type) => isa.UseEmittedBF16 && type == GgmlType.BF16;

    /// <summary>y[t, n] for n in [n0, n1) (n0 a multiple of four) and every t &lt; tokens.</summary>
    /// <param name="w">The file's rows, read where <paramref name="copy"/> is null.</param>
    /// <param name="xw">The activations as BF16, tokens × k.</param>
    /// <param name="xf">The same activations as F32 (the columns past whole chunks are multiplied in F32).</param>
    /// <param name="panel">Per-thread scratch of <see cref="PanelValues"/> BF16.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(byte* w, long rowBytes, int n0, int n1, int k, ushort* xw, float* xf, int tokens, float* y, int yStride,
        ushort* panel, IWidensRows? copy)
    {
        float* acc = stackalloc float[TokenTile * RowTile * 16];
        if ((long)tokens * k * 2 <= SmallBatchBytes)
        {
            // Few tokens (decode): each row group's column blocks one after the other, so the weights are read as one
            // stream; the tokens' activations stay in L2 throughout. Taking the first column block of every group, then
            // the second (the order for many tokens, below), made the 1B BF16's decode step 115–140 ms instead of 50–60
            // (`half-decode`): the stream restarts every few KB.
            // One token on a compact copy in word order: whole row groups decoded in registers, no panel (the same
            // sums; 38–42 ms instead of 50–60, the F32 kernels' 43–56).
            var fused = tokens == 1 && EmittedKernels.Vbmi && copy is CompactBF16Weight { WordOrder: true } c ? c : null;
            for (int n = n0; n < n1; n += RowTile)
                for (int c0 = 0; c0 < k; c0 += ColumnBlock)
                {
                    if (fused != null && n + RowTile <= n1 && RowGroups.Stride(fused.Rows, n) == RowTile)
                    {
                        int kc = Math.Min(ColumnBlock, k - c0);
                        EmittedKernels.CompactBF16Rows4(fused, n, c0, kc, xw + c0, acc);
                        Finish(acc, panel, kc, kc, xf + c0, y + n, RowTile, c0 > 0);
                        continue;
                    }
                    Panel(w, rowBytes, n, n1, k, c0, xw, xf, 0, tokens, y, yStride, panel, copy, acc);
                }
            return;
        }
        // Token blocks of ~256 KB of activations per column block (L2), reusing each panel for all of them.
        const int block = SmallBatchBytes / (ColumnBlock * 2) / TokenTile * TokenTile;
        for (int t0 = 0; t0 < tokens; t0 += block)
        {
            int t1 = Math.Min(tokens, t0 + block);
            for (int c0 = 0; c0 < k; c0 += ColumnBlock)
                for (int n = n0; n < n1; n += RowTile)
                    Panel(w, rowBytes, n, n1, k, c0, xw, xf, t0, t1, y, yStride, panel, copy, acc);
        }
    }

    /// <summary>Activation bytes below which a product runs row group by row group over all its columns.</summary>
    private const int SmallBatchBytes = 256 * 1024;

    /// <summary>Rows n..n + 3 (those below n1) × columns [c0, c0 + <see cref="ColumnBlock"/>) × tokens [t0, t1): the panel
    /// made, the tile run per six tokens, the sums added to y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Panel(byte* w, long rowBytes, int n, int n1, int k, int c0, ushort* xw, float* xf, int t0, int t1, float* y, int yStride,
        ushort* panel, IWidensRows? copy, float* acc)
    {
        int kc = Math.Min(ColumnBlock, k - c0), chunks = kc / EmittedBF16Code.ChunkColumns;
        int rows = Math.Min(RowTile, n1 - n);
        if (copy != null) copy.Words(n, rows, c0, kc, panel, ColumnBlock);
        else
            for (int r = 0; r < rows; r++)
                Buffer.MemoryCopy((ushort*)(w + (n + r) * rowBytes) + c0, panel + r * ColumnBlock, kc * 2L, kc * 2L);
        // Rows past the matrix's last: zeros, whose sums are computed and not stored.
        for (int r = rows; r < RowTile; r++) new Span<ushort>(panel + r * ColumnBlock, kc).Clear();
        for (int t = t0; t < t1; t += TokenTile)
        {
            int tt = Math.Min(TokenTile, t1 - t);
            if (chunks > 0) EmittedKernels.BF16Tile(tt, panel, xw + (long)t * k + c0, k, chunks, acc);
            else new Span<float>(acc, tt * RowTile * 16).Clear();
            for (int u = 0; u < tt; u++)
                Finish(acc + u * RowTile * 16, panel, chunks * EmittedBF16Code.ChunkColumns, kc, xf + (long)(t + u) * k + c0,
                    y + (long)(t + u) * yStride + n, rows, c0 > 0);
        }
    }

    /// <summary>One token's four row accumulators reduced, the columns from <paramref name="from"/> to kc added, the
    /// block's sums stored (or added) to y's first <paramref name="rows"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(float* acc, ushort* panel, int from, int kc, float* x, float* y, int rows, bool accumulate)
    {
        var s = VectorSums.Sum4(Vector512.Load(acc), Vector512.Load(acc + 16), Vector512.Load(acc + 32), Vector512.Load(acc + 48));
        for (int i = from; i < kc; i++)
            s += Vector128.Create(BF16Widening.ToFloat(panel[i]), BF16Widening.ToFloat(panel[ColumnBlock + i]),
                BF16Widening.ToFloat(panel[2 * ColumnBlock + i]), BF16Widening.ToFloat(panel[3 * ColumnBlock + i])) * x[i];
        if (rows == RowTile)
        {
            if (accumulate) s += Vector128.Load(y);
            s.Store(y);
            return;
        }
        for (int r = 0; r < rows; r++) y[r] = accumulate ? y[r] + s.GetElement(r) : s.GetElement(r);
    }

    /// <summary>The activations' BF16 words: the top halves of values already rounded to BF16 (<see cref="QuantizeActivations.RoundBF16(CpuIsa, float*, int, float*)"/>).</summary>
    public static void Words(float* rounded, int n, ushort* words)
    {
        int i = 0;
        for (; i + 32 <= n; i += 32)
        {
            var a = Vector512.Load((uint*)(rounded + i)) >> 16;
            var b = Vector512.Load((uint*)(rounded + i + 16)) >> 16;
            Vector512.Narrow(a, b).Store(words + i);
        }
        for (; i < n; i++) words[i] = (ushort)(BitConverter.SingleToUInt32Bits(rounded[i]) >> 16);
    }
}
