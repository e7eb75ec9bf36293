using Hearth.Core.Gguf;
using System.Runtime.CompilerServices;
using Hearth.Core.Tensors;
using Hearth.Cpu.Emitted;
using Hearth.Cpu.Kernels;

namespace Hearth.Cpu.Packed;

/// <summary>A Q8_0 weight re-laid out for the outer-product kernel (<see cref="PackedGemm"/> with <see cref="Q8_0Format{TDot}"/>),
/// kept alongside the GGUF mapping (which embedding lookups and the lower SIMD rungs still read).
/// Rows are taken in groups of 8. For group g and block b (32 columns) there are 8 "steps" of 32 bytes; step j
/// holds columns b·32 + 4j .. 4j+3 of each of the 8 rows (row r at bytes 4r..4r+3), so one vpdpbusd (or its AVX2
/// composition) against a broadcast of 4 activation bytes advances 8 rows at once. The values are stored as w + 128 (u8,
/// what vpdpbusd multiplies), or as w itself (the AVX2 layout of Q4_0 and Q5_0, <see cref="SignedSmallDot"/>; Q8_0 on
/// request, <see cref="SignedDot"/>, unless the matrix holds a −128, whose magnitude does not fit the sign trick on the
/// weight side). The 8 rows'
/// F16 block scales follow in a separate array (8 per group-block). Rows past N (the last group) are zero. Same bytes
/// as the GGUF rows.</summary>
public sealed unsafe class PackedQ8_0Weight : PackedWeight
{
    private const int StepBytes = 32, BlockBytes = 8 * StepBytes;

    private PackedQ8_0Weight(Weight source) : base(source, 32, BlockBytes, GroupRows * 2) { }

    /// <summary>Whether the values are stored signed (<see cref="SignedDot"/>) rather than as w + 128.</summary>
    internal bool Signed { get; private set; }

    /// <summary>F16 scales: group g, block b → 8 values at Scales + (g·Blocks + b)·8.</summary>
    public ushort* Scales => (ushort*)ScaleData;

    /// <summary>Re-lays out a Q8_0 weight, or a Q4_0 / Q5_0 one (their values are int8 values under the same F16
    /// block scale, so the packed result computes exactly what llama.cpp's Q4_0/Q5_0 · Q8_0 dot products do).</summary>
    /// <remarks>Without AVX-VNNI, <see cref="PackedWeight.TryPack"/> gives Q4_0 and Q5_0 to <see cref="PackedLegacyWeight"/>
    /// (their files' bytes); here they take the signed layout (<see cref="SignedSmallDot"/>: a block's products add up in
    /// int16, measured 1.29× on Zen 3), the reference that layout is checked against bit for bit. Q8_0 keeps w + 128, as its signed form (<see cref="SignedDot"/>) still
    /// needs vpmaddubsw and vpmaddwd per step, and those two multiplies, not the XOR and vpabsb it saves, bound the
    /// kernel there (measured 0.97–1.02× in CPU time, interleaved A/B).</remarks>
    public static PackedQ8_0Weight Pack(Weight w) =>
        Pack(w, preferSigned: !System.Runtime.Intrinsics.X86.AvxVnni.IsSupported && w.Type != GgmlType.Q8_0);

    /// <summary><see cref="Pack(Weight)"/> for a backend at <paramref name="isa"/>: where it may run the emitted AVX-512
    /// VNNI tile (<see cref="CpuIsa.UseEmittedVnni"/>), Q8_0 takes that kernel.</summary>
    public static PackedQ8_0Weight Pack(Weight w, CpuIsa isa)
    {
        var p = Pack(w);
        return Emitting(p, isa.UseEmittedVnni && !p.Signed);
    }

    /// <param name="preferSigned">Store w rather than w + 128 where the matrix allows (no −128): the layout of the
    /// AVX2 kernel; tests take both layouts on one machine to compare them bit for bit.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static PackedQ8_0Weight Pack(Weight w, bool preferSigned)
    {
        if (w.Type is not (GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q5_0) || w.Columns % 32 != 0)
            throw new ArgumentException($"weight '{w.Name}' is not a Q8_0, Q4_0 or Q5_0 matrix");
        var p = new PackedQ8_0Weight(w);
        int nb = p.Blocks;
        int blockBytes = w.Type switch { GgmlType.Q8_0 => QuantBlocks.Q8_0Bytes, GgmlType.Q4_0 => QuantBlocks.Q4_0Bytes, _ => QuantBlocks.Q5_0Bytes };
        var values = new sbyte[w.Columns];
        var unusedScales = new float[nb];
        bool minus128 = false;
        fixed (sbyte* v = values)
        fixed (float* unused = unusedScales)
            for (int g = 0; g < p.Groups; g++)
                for (int r = 0; r < GroupRows; r++)
                {
                    int row = g * GroupRows + r;
                    byte* src = row < w.Rows ? w.Row(row) : null;
                    if (src != null && w.Type == GgmlType.Q4_0) QuantBlocks.Q4_0(src, nb, v, unused);
                    if (src != null && w.Type == GgmlType.Q5_0) QuantBlocks.Q5_0(src, nb, v, unused);
                    for (int b = 0; b < nb; b++)
                    {
                        long gb = (long)g * nb + b;
                        uint* dst = (uint*)(p.Quants + gb * BlockBytes) + r;
                        if (src == null)
                        {
                            for (int j = 0; j < 8; j++) dst[j * 8] = 0;
                            p.Scales[gb * GroupRows + r] = 0;
                            continue;
                        }
                        byte* blk = src + (long)b * blockBytes;
                        p.Scales[gb * GroupRows + r] = *(ushort*)blk; // every one of the three formats starts with its F16 d
                        uint* q = w.Type == GgmlType.Q8_0 ? (uint*)(blk + 2) : (uint*)(v + b * 32);
                        for (int j = 0; j < 8; j++)
                        {
                            dst[j * 8] = q[j];
                            // A byte 0x80 (−128): 0x80 ^ b has its top bit clear for exactly that b.
                            uint t = q[j] ^ 0x80808080u;
                            minus128 |= ((t - 0x01010101u) & ~t & 0x80808080u) != 0;
                        }
                    }
                }
        p.Signed = preferSigned && !minus128;
        if (!p.Signed)
        {
            // XOR 0x80 per byte = w + 128 as u8 (two's complement), the unsigned operand of vpdpbusd.
            ulong* all = (ulong*)p.Quants;
            for (long i = 0, count = (long)p.Groups * nb * BlockBytes / 8; i < count; i++) all[i] ^= 0x8080808080808080ul;
        }
        return p;
    }

    /// <remarks>Q8_0 only: Q4_0 and Q5_0 were widened to int8 values, which no longer are the file's bytes.</remarks>
    internal override bool RestoresRows => Type == GgmlType.Q8_0;

    internal override void RestoreRow(int row, byte* destination)
    {
        if (!RestoresRows) base.RestoreRow(row, destination);
        int g = row / GroupRows, r = row % GroupRows;
        for (int b = 0; b < Blocks; b++)
        {
            long gb = (long)g * Blocks + b;
            byte* blk = destination + (long)b * QuantBlocks.Q8_0Bytes;
            *(ushort*)blk = Scales[gb * GroupRows + r];
            uint* q = (uint*)(blk + 2), packed = (uint*)(Quants + gb * BlockBytes) + r;
            uint flip = Signed ? 0 : 0x80808080u;
            for (int j = 0; j < 8; j++) q[j] = packed[j * 8] ^ flip;
        }
    }

    /// <remarks>Q8_0, as llama.cpp pairs with Q8_0/Q4_0/Q5_0; the correction is −128·Σx, which cancels the +128 the
    /// packed values carry under vpdpbusd.</remarks>
    internal override void QuantizeActivation(CpuIsa isa, float* x, sbyte* q, float* d, int* c) => QuantizeActivations.Q8_0(isa, x, Columns, q, d, c);

    internal override bool AbsActivations => Signed;

    internal override void Tile(int group, int groups, int tokens, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows)
    {
        // Q4_0 and Q5_0 values are small enough for a block's products to add up in int16.
        if (UsesEmittedKernel) EmittedKernels.Tile(EmittedFormat.Q8_0, vbmi: false, groups, tokens, GroupQuants(group), GroupScales(group), Blocks, x, xd, xc, y, yStride, rows);
        else if (Signed && Type != GgmlType.Q8_0) PackedGemm.Tile<Q8_0Format<SignedSmallDot>>(groups, tokens, GroupQuants(group), GroupScales(group), Blocks, x, xd, xc, y, yStride, rows);
        else if (Signed) PackedGemm.Tile<Q8_0Format<SignedDot>>(groups, tokens, GroupQuants(group), GroupScales(group), Blocks, x, xd, xc, y, yStride, rows);
        else PackedGemm.Tile<Q8_0Format<Offset128Dot>>(groups, tokens, GroupQuants(group), GroupScales(group), Blocks, x, xd, xc, y, yStride, rows);
    }
}
