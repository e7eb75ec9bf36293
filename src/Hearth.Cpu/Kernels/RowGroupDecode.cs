using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Hearth.Cpu.Packed;

namespace Hearth.Cpu.Kernels;

/// <summary>The decode step of the AVX-512 float copies laid out in <see cref="RowGroups"/> (grouped F16/BF16, compact BF16):
/// rows n..n + 3, a whole group, · x → y[0..4), summed as <see cref="F16Decode.Rows4{TH}"/> sums the file's rows — per
/// column block of <see cref="FloatPanelGemm.ColumnBlock"/>, each row's 16 lanes over the block's vectors in order, the
/// four rows reduced together, the blocks' sums added to y in order — so a token's result is the same bits alone as in
/// a batch. The group's four chains of FMAs run side by side from one stream.</summary>
internal static unsafe class RowGroupDecode
{
    /// <summary>A copy's 64-column blocks by position: a + the block's columns · x, 16 at a time in column order.</summary>
    public interface IBlocks
    {
        Vector512<float> Accumulate(long block, float* x, Vector512<float> a);
    }

    /// <param name="first">The position of the group's first block (row n's block 0).</param>
    /// <param name="blocks">Blocks per row (k / 64).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows4<TB>(TB source, long first, int blocks, float* x, float* y) where TB : struct, IBlocks
    {
        const int per = FloatPanelGemm.ColumnBlock / 64;
        for (int j = 0; j < blocks;)
        {
            bool firstBlock = j == 0;
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int end = Math.Min(blocks, j + per); j < end; j++)
            {
                long at = first + 4L * j;
                float* xj = x + j * 64;
                a0 = source.Accumulate(at, xj, a0);
                a1 = source.Accumulate(at + 1, xj, a1);
                a2 = source.Accumulate(at + 2, xj, a2);
                a3 = source.Accumulate(at + 3, xj, a3);
            }
            var s = VectorSums.Sum4(a0, a1, a2, a3);
            if (!firstBlock) s += Vector128.Load(y);
            s.Store(y);
        }
    }
}
