using Hearth.Core.Tensors;

namespace Hearth.Cpu.Packed;

/// <summary>A weight re-laid out for one of the AVX-VNNI outer-product kernels: rows in groups of
/// <see cref="GroupRows"/>, columns in blocks of <see cref="ActivationBlock"/>, with the activation interleaved by
/// tiles of up to 4 tokens (<see cref="PackedGemm.InterleaveTile"/>). Kept alongside the GGUF mapping, which
/// embedding lookups and the lower SIMD rungs still read.</summary>
public abstract unsafe class PackedWeight(Weight source) : Weight(source.Name, source.Type, source.Rows, source.Columns, source.Data), IDisposable
{
    public const int GroupRows = 8;

    /// <summary>Number of 8-row groups (the last may be partly padding).</summary>
    public int Groups { get; } = (source.Rows + GroupRows - 1) / GroupRows;

    /// <summary>Columns per block: the granularity of the per-token scale and correction the kernel reads.</summary>
    public abstract int ActivationBlock { get; }

    /// <summary>Whether activations are quantized as Q8_K (one scale per 256 columns, as llama.cpp pairs with K-quants)
    /// rather than Q8_0.</summary>
    public abstract bool UsesQ8_K { get; }

    /// <summary>y[u, 8·(group + i) ..] for i &lt; groups (1..2) and u &lt; tokens (1..4): the tile at
    /// <paramref name="group"/> against one interleaved activation tile.</summary>
    /// <param name="xd">The tile's per-block token scales, [block][token].</param>
    /// <param name="xc">The tile's per-block token corrections, [block][token] (their meaning is the format's).</param>
    internal abstract void Tile(int group, int groups, int tokens, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows);

    public abstract void Dispose();
}
