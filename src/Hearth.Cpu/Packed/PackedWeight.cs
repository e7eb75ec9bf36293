using Hearth.Core.Gguf;
using Hearth.Core.Tensors;

namespace Hearth.Cpu.Packed;

/// <summary>A weight re-laid out for one of the outer-product kernels (<see cref="PackedGemm"/>'s vpdpbusd kernel, or
/// the vpmaddubsw kernels of <see cref="PackedKQuantWeight"/> and <see cref="PackedQ6_KWeight"/>, which keep exactly the
/// file's bytes): rows in groups of <see cref="GroupRows"/>, columns in blocks (<see cref="Blocks"/> per row), with the
/// activation interleaved by tiles of up to 4 tokens (<see cref="PackedGemm.InterleaveTile"/>). Kept alongside the
/// GGUF mapping, which embedding lookups and the lower SIMD rungs still read.</summary>
public abstract unsafe class PackedWeight : Weight, IDisposable
{
    public const int GroupRows = 8;
    private readonly int _quantBytes, _scaleBytes;

    /// <param name="blockColumns">Columns per block: the granularity of the per-token scale and correction the kernel reads.</param>
    /// <param name="quantBytes">Bytes of packed values per group and block.</param>
    /// <param name="scaleBytes">Bytes of scales per group and block.</param>
    protected PackedWeight(Weight source, int blockColumns, int quantBytes, int scaleBytes)
        : base(source.Name, source.Type, source.Rows, source.Columns, source.Data)
    {
        Blocks = source.Columns / blockColumns;
        Groups = (source.Rows + GroupRows - 1) / GroupRows;
        _quantBytes = quantBytes;
        _scaleBytes = scaleBytes;
        Quants = HostMemory.Allocate((long)Groups * Blocks * quantBytes);
        ScaleData = HostMemory.Allocate((long)Groups * Blocks * scaleBytes);
    }

    /// <summary>Number of 8-row groups (the last may be partly padding).</summary>
    public int Groups { get; }

    /// <summary>Blocks per row.</summary>
    public int Blocks { get; }

    /// <summary>Packed values: group g, block b at Quants + (g·Blocks + b)·(bytes per block).</summary>
    public byte* Quants { get; private set; }

    /// <summary>Scales: group g, block b at ScaleData + (g·Blocks + b)·(bytes per block).</summary>
    protected byte* ScaleData { get; private set; }

    /// <summary>Group g's first block of values.</summary>
    protected byte* GroupQuants(int group) => Quants + (long)group * Blocks * _quantBytes;

    /// <summary>Group g's first block of scales.</summary>
    protected byte* GroupScales(int group) => ScaleData + (long)group * Blocks * _scaleBytes;

    /// <summary>The weight re-laid out for its VNNI kernel, or null where there is none (no AVX-VNNI on this machine,
    /// or a type or width without a packed layout).</summary>
    public static PackedWeight? TryPack(Weight w, CpuIsa isa)
    {
        if (!isa.PackedAvailable || w.Rows <= 1) return null;
        return w.Type switch
        {
            _ when PackedLegacyWeight.Packs(w.Type, w.Columns) => PackedLegacyWeight.Pack(w, isa),
            GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q5_0 when w.Columns % 32 == 0 => PackedQ8_0Weight.Pack(w, isa),
            _ when PackedKQuantWeight.Packs(w.Type, w.Columns) => PackedKQuantWeight.Pack(w, isa),
            GgmlType.Q6_K when w.Columns % 256 == 0 => PackedQ6_KWeight.Pack(w, isa),
            _ when PackedLowBitKWeight.Packs(w.Type, w.Columns) => PackedLowBitKWeight.Pack(w),
            _ when PackedScaleMinWeight.Packs(w.Type, w.Columns) => PackedScaleMinWeight.Pack(w),
            _ when PackedTableWeight.Packs(w.Type, w.Columns) => PackedTableWeight.Pack(w, isa),
            _ => null,
        };
    }

    /// <summary>Whether the tiles run the kernels emitted for AVX-512 VNNI (<see cref="Emitted.EmittedKernels"/>) rather
    /// than the C# ones; set at packing for the backend's <see cref="CpuIsa"/> (<see cref="CpuIsa.UseEmittedVnni"/>).
    /// Both give the same bits.</summary>
    internal bool UsesEmittedKernel { get; private protected set; }

    /// <summary><paramref name="packed"/>, whose tiles now run the emitted kernels where <paramref name="emitted"/>.</summary>
    private protected static T Emitting<T>(T packed, bool emitted) where T : PackedWeight
    {
        packed.UsesEmittedKernel = emitted;
        return packed;
    }

    /// <summary>Whether <see cref="RestoreRow"/> can give back a row's GGUF bytes (layouts that keep exactly the file's
    /// bytes). Embedding lookups then read this copy, and the mapping's pages can leave memory for good.</summary>
    internal virtual bool RestoresRows => false;

    /// <summary>Writes row <paramref name="row"/> as the GGUF file holds it (<see cref="Weight.RowBytes"/> bytes) to
    /// <paramref name="destination"/>: the inverse of the packing, byte for byte.</summary>
    internal virtual void RestoreRow(int row, byte* destination) =>
        throw new NotSupportedException($"the packed layout of '{Name}' ({Type}) does not keep the file's bytes");

    /// <summary>Whether the kernel reads the activation tile with each step's magnitudes beside its values
    /// (<see cref="PackedGemm.InterleaveTile"/>, <see cref="PackedDots.Signed"/>): twice the activation bytes.</summary>
    internal virtual bool AbsActivations => false;

    /// <summary>Quantizes one activation row the way this format's kernel reads it: <paramref name="q"/> gets the k
    /// int8 values (plain order), <paramref name="d"/> and <paramref name="c"/> one token scale and one correction per
    /// block (<see cref="Blocks"/> each; the correction's meaning is the format's).</summary>
    internal abstract void QuantizeActivation(CpuIsa isa, float* x, sbyte* q, float* d, int* c);

    /// <summary>y[u, 8·(group + i) ..] for i &lt; groups (1..2) and u &lt; tokens (1..4): the tile at
    /// <paramref name="group"/> against one interleaved activation tile.</summary>
    /// <param name="xd">The tile's per-block token scales, [block][token].</param>
    /// <param name="xc">The tile's per-block token corrections, [block][token] (their meaning is the format's).</param>
    internal abstract void Tile(int group, int groups, int tokens, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows);

    public void Dispose()
    {
        HostMemory.Free(Quants);
        HostMemory.Free(ScaleData);
        Quants = null;
        ScaleData = null;
    }
}
