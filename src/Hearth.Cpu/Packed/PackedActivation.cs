using System.Runtime.CompilerServices;
using Hearth.Cpu.Kernels;

namespace Hearth.Cpu.Packed;

/// <summary>Activation rows prepared for a packed weight's kernel, in one buffer: the int8 values interleaved by tiles of
/// <see cref="PackedGemm.MaxTokens"/> tokens (<see cref="Stride"/> bytes per token), then per block the token scales,
/// then per block the corrections (both [block][token] within a tile). Shared by the single and the grouped matmul.</summary>
internal readonly unsafe struct PackedActivation
{
    public readonly sbyte* Q;
    public readonly float* D;
    public readonly int* C;
    /// <summary>Bytes of interleaved values per token (k, or 2k with magnitudes).</summary>
    public readonly long Stride;
    public readonly int Rows;

    private PackedActivation(sbyte* q, float* d, int* c, long stride, int rows)
    {
        Q = q; D = d; C = c; Stride = stride; Rows = rows;
    }

    /// <summary>Bytes <paramref name="rows"/> tokens take for weights of <paramref name="p"/>'s layout.</summary>
    public static long Bytes(PackedWeight p, int rows) => rows * StrideOf(p) + rows * (long)p.Blocks * 8;

    /// <summary>The layout of <paramref name="rows"/> tokens over <paramref name="buffer"/> (<see cref="Bytes"/> long).</summary>
    public static PackedActivation At(PackedWeight p, byte* buffer, int rows)
    {
        long stride = StrideOf(p);
        var q = (sbyte*)buffer;
        var d = (float*)(q + rows * stride);
        return new PackedActivation(q, d, (int*)(d + (long)rows * p.Blocks), stride, rows);
    }

    private static long StrideOf(PackedWeight p) => p.AbsActivations ? 2L * p.Columns : p.Columns;

    /// <summary>Token t's activation row <paramref name="x"/> quantized as the packed format reads it and scattered into
    /// its tile of the interleaved layout (tiles of <see cref="PackedGemm.MaxTokens"/> tokens, the last one narrower):
    /// values by 4-column step, token scales and corrections by block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Quantize(CpuIsa isa, PackedWeight p, float* x, int t, NativeBuffer scratch)
    {
        int k = p.Columns, nb = p.Blocks;
        sbyte* q = (sbyte*)scratch.Ensure(k + nb * 8L);
        float* d = (float*)(q + k);
        int* c = (int*)(d + nb);
        p.QuantizeActivation(isa, x, q, d, c);
        int t0 = t - t % PackedGemm.MaxTokens, tokens = Math.Min(PackedGemm.MaxTokens, Rows - t0), u = t - t0;
        PackedGemm.InterleaveTile(q, k, tokens, u, Q + t0 * Stride, p.AbsActivations);
        for (int b = 0; b < nb; b++)
        {
            D[(long)t0 * nb + b * tokens + u] = d[b];
            C[(long)t0 * nb + b * tokens + u] = c[b];
        }
    }

    /// <summary>Weight rows [n0, n1) (whole groups) × every token through the packed weight's micro-kernel, in tiles of
    /// two groups × four tokens (narrower at the edges); token t's outputs at y + t·<paramref name="yStride"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Tiles(PackedWeight p, int n0, int n1, float* y, long yStride)
    {
        int blocks = p.Blocks, n = p.Rows;
        const int groupRows = PackedWeight.GroupRows, maxGroups = PackedGemm.MaxGroups, maxTokens = PackedGemm.MaxTokens;
        for (int r = n0; r < n1; r += groupRows * maxGroups)
        {
            int groups = Math.Min(maxGroups, (n1 - r + groupRows - 1) / groupRows);
            int rows = Math.Min(groups * groupRows, n - r);
            for (int t = 0; t < Rows; t += maxTokens)
                p.Tile(r / groupRows, groups, Math.Min(maxTokens, Rows - t), Q + t * Stride, D + (long)t * blocks, C + (long)t * blocks,
                    y + t * yStride + r, yStride, rows);
        }
    }
}
