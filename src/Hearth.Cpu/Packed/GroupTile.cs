using Hearth.Cpu.Kernels;

namespace Hearth.Cpu.Packed;

/// <summary>A one-group micro-kernel (8 rows × 1..4 tokens, super-blocks of 256 columns) of the K-quant layouts, as a
/// type so <see cref="GroupTile.Run{TKernel}"/> can pick its token-count instantiation in one place.</summary>
internal unsafe interface IGroupKernel
{
    static abstract void Tile<TN>(byte* q, byte* scales, int supers, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows)
        where TN : struct, ITileCount;
}

internal static unsafe class GroupTile
{
    /// <summary>Runs <typeparamref name="TKernel"/> on <paramref name="groups"/> consecutive groups (the first at
    /// <paramref name="q"/> and <paramref name="scales"/>, each next one <paramref name="groupQuantBytes"/> and
    /// <paramref name="groupScaleBytes"/> further), the last one cut to the <paramref name="rows"/> left.</summary>
    public static void Groups<TKernel>(int groups, int tokens, byte* q, long groupQuantBytes, byte* scales, long groupScaleBytes, int supers,
        sbyte* x, float* xd, int* xc, float* y, long yStride, int rows) where TKernel : struct, IGroupKernel
    {
        const int groupRows = PackedWeight.GroupRows;
        for (int i = 0; i < groups; i++)
            Run<TKernel>(tokens, q + i * groupQuantBytes, scales + i * groupScaleBytes, supers, x, xd, xc, y + i * groupRows, yStride,
                Math.Min(groupRows, rows - i * groupRows));
    }

    /// <summary>Runs <typeparamref name="TKernel"/> on one group for a tile of <paramref name="tokens"/> (1..4) tokens.</summary>
    private static void Run<TKernel>(int tokens, byte* q, byte* scales, int supers, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows)
        where TKernel : struct, IGroupKernel
    {
        switch (tokens)
        {
            case 1: TKernel.Tile<Count1>(q, scales, supers, x, xd, xc, y, yStride, rows); break;
            case 2: TKernel.Tile<Count2>(q, scales, supers, x, xd, xc, y, yStride, rows); break;
            case 3: TKernel.Tile<Count3>(q, scales, supers, x, xd, xc, y, yStride, rows); break;
            default: TKernel.Tile<Count4>(q, scales, supers, x, xd, xc, y, yStride, rows); break;
        }
    }
}
