using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Cpu.Emitted;
using Hearth.Cpu.Kernels;

namespace Hearth.Cpu.Packed;

/// <summary>A Q4_0 or Q5_0 weight in its file's bytes for the AVX2 kernel without AVX-VNNI: rows in groups of 8, per
/// 32-column block the unsigned values q (Q4_0: 0..15, Q5_0: 0..31; the weight is d·(q − 8) or d·(q − 16)) as nibbles
/// (<see cref="NibbleLayout"/>), for Q5_0 then one 32-byte plane of fifth bits (bit j of byte 4r + c is step j's, row r,
/// column c), and apart the 8 rows' F16 d: 18 and 22 bytes per row and block, exactly the files'.
/// <para>The kernel (<see cref="NibbleDecode{TF}"/> with <see cref="LegacyNibbles{TBits}"/>) takes q as the unsigned operand
/// of vpmaddubsw, one instruction and one 16-bit add per token and step: a pair is at most 2 · 31 · 127 in magnitude, and
/// each 16-bit lane (16 columns of a block) starts at −off·Σx over its columns (the activation's correction, off = 8 or
/// 16), so after the block's 8 steps it holds Σ (q − off)·x, at most 16 · 16 · 127 = 32,512 in magnitude: the wrapping
/// int16 adds end exact. The same integers, hence the same bits, as the layouts that widen the values to int8
/// (<see cref="PackedQ8_0Weight"/>, which AVX-VNNI machines keep: vpdpbusd on the offset bytes is one instruction per
/// step there too).</para>
/// <para>On AVX-512 VNNI machines the same layout runs the emitted tile (<see cref="EmittedKernels"/>): vpdpbusd on q
/// with int32 accumulators starting at −off·Σx (<see cref="EmittedKernels.ScaleCorrections"/>).</para>
/// <para>Against those 34 bytes per row and block, decode streams 47 % (Q4_0) or 35 % (Q5_0) fewer bytes, and the
/// step is one instruction per token fewer than the sign trick of the signed layout.</para></summary>
public sealed unsafe class PackedLegacyWeight : PackedWeight
{
    private const int NibbleBytes = 128, FifthBitBytes = 32;
    private readonly bool _five;

    private PackedLegacyWeight(Weight source, bool five)
        : base(source, 32, QuantBytesOf(five), GroupRows * 2)
    {
        _five = five;
    }

    /// <summary>Bytes of values per group and block: the nibbles, and Q5_0's fifth-bit plane.</summary>
    private static int QuantBytesOf(bool five) => NibbleBytes + (five ? FifthBitBytes : 0);

    /// <summary>Whether this layout serves <paramref name="type"/> at <paramref name="columns"/> on this machine: Q4_0 or
    /// Q5_0, whole blocks, AVX2 without AVX-VNNI.</summary>
    public static bool Packs(GgmlType type, int columns) =>
        type is GgmlType.Q4_0 or GgmlType.Q5_0 && columns % 32 == 0 && Avx2.IsSupported && !AvxVnni.IsSupported;

    /// <summary>The offset the file's values carry: 8 (Q4_0) or 16 (Q5_0).</summary>
    private int Offset => _five ? 16 : 8;

    /// <summary><see cref="Pack(Weight)"/> for a backend at <paramref name="isa"/>: where it may run the emitted AVX-512
    /// VNNI tiles (<see cref="CpuIsa.UseEmittedVnni"/>), the tiles take them.</summary>
    public static PackedLegacyWeight Pack(Weight w, CpuIsa isa) => Emitting(Pack(w), isa.UseEmittedVnni);

    private EmittedFormat Format => _five ? EmittedFormat.Q5_0 : EmittedFormat.Q4_0;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static PackedLegacyWeight Pack(Weight w)
    {
        if (w.Type is not (GgmlType.Q4_0 or GgmlType.Q5_0) || w.Columns % 32 != 0)
            throw new ArgumentException($"weight '{w.Name}' ({w.Type}, {w.Columns} columns) is not a Q4_0 or Q5_0 matrix");
        bool five = w.Type == GgmlType.Q5_0;
        var p = new PackedLegacyWeight(w, five);
        int nb = p.Blocks, quantBytes = QuantBytesOf(five), blockBytes = five ? QuantBlocks.Q5_0Bytes : QuantBlocks.Q4_0Bytes;
        NativeMemory.Clear(p.Quants, (nuint)((long)p.Groups * nb * quantBytes));
        NativeMemory.Clear(p.ScaleData, (nuint)((long)p.Groups * nb * GroupRows * 2));
        var signed = new sbyte[w.Columns];
        var unusedScales = new float[nb];
        var q = new byte[32];
        fixed (sbyte* v = signed)
        fixed (float* unused = unusedScales)
        fixed (byte* u = q)
            for (int row = 0; row < w.Rows; row++)
            {
                int g = row / GroupRows, r = row % GroupRows;
                byte* src = w.Row(row);
                if (five) QuantBlocks.Q5_0(src, nb, v, unused);
                else QuantBlocks.Q4_0(src, nb, v, unused);
                for (int b = 0; b < nb; b++)
                {
                    long gb = (long)g * nb + b;
                    ((ushort*)p.ScaleData)[gb * GroupRows + r] = *(ushort*)(src + (long)b * blockBytes); // both start with their F16 d
                    for (int c = 0; c < 32; c++) u[c] = (byte)(v[b * 32 + c] + p.Offset);
                    byte* dst = p.Quants + gb * quantBytes;
                    NibbleLayout.PutRow(dst, r, u, 32);
                    if (five) PutFifthBits(dst + NibbleBytes, r, u);
                }
            }
        return p;
    }

    /// <summary>Row r's fifth bits (bit 4 of <paramref name="q"/>[c]) into the plane: bit j of byte 4r + c is column 4j + c's.</summary>
    private static void PutFifthBits(byte* plane, int r, byte* q)
    {
        for (int c = 0; c < 4; c++)
        {
            int bits = 0;
            for (int j = 0; j < 8; j++) bits |= (q[4 * j + c] >> 4 & 1) << j;
            plane[4 * r + c] = (byte)bits;
        }
    }

    internal override bool RestoresRows => true;

    /// <remarks>Q4_0: {d; qs[16]} with value j in qs[j]'s low nibble and j + 16 in its high one; Q5_0: {d; qh[4]; qs[16]},
    /// the fifth bit of value j in bit j of qh.</remarks>
    internal override void RestoreRow(int row, byte* destination)
    {
        int g = row / GroupRows, r = row % GroupRows, quantBytes = QuantBytesOf(_five);
        int blockBytes = _five ? QuantBlocks.Q5_0Bytes : QuantBlocks.Q4_0Bytes;
        for (int b = 0; b < Blocks; b++)
        {
            long gb = (long)g * Blocks + b;
            byte* block = Quants + gb * quantBytes, dst = destination + (long)b * blockBytes;
            *(ushort*)dst = ((ushort*)ScaleData)[gb * GroupRows + r];
            byte* qs = dst + (_five ? 6 : 2);
            uint qh = 0;
            for (int c = 0; c < 16; c++)
            {
                int lo = Value(block, r, c), hi = Value(block, r, c + 16);
                qs[c] = (byte)((lo & 0xF) | (hi & 0xF) << 4);
                qh |= (uint)(lo >> 4) << c | (uint)(hi >> 4) << (c + 16);
            }
            if (_five) *(uint*)(dst + 2) = qh;
        }
    }

    /// <summary>Row r's value q at block column <paramref name="column"/>.</summary>
    private int Value(byte* block, int r, int column)
    {
        int q = NibbleLayout.Get(block, r, column);
        if (_five) q |= (block[NibbleBytes + 4 * r + column % 4] >> (column / 4) & 1) << 4;
        return q;
    }

    /// <remarks>Q8_0 activations, as llama.cpp pairs with Q4_0 and Q5_0; the correction is each block's packed pair
    /// (−off·S₀, −off·S₁) of <see cref="PackedDots.PairCorrections"/>.</remarks>
    internal override void QuantizeActivation(CpuIsa isa, float* x, sbyte* q, float* d, int* c)
    {
        if (UsesEmittedKernel)
        {
            QuantizeActivations.Q8_0(isa, x, Columns, q, d, c);
            EmittedKernels.ScaleCorrections(Offset, c, Blocks);
            return;
        }
        QuantizeActivations.Q8_0(isa, x, Columns, q, d);
        PackedDots.PairCorrections(q, Blocks, c, Offset);
    }

    internal override void Tile(int group, int groups, int tokens, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows)
    {
        if (UsesEmittedKernel) EmittedKernels.Tile(Format, vbmi: false, groups, tokens, GroupQuants(group), GroupScales(group), Blocks, x, xd, xc, y, yStride, rows);
        else if (_five) NibbleDecode<LegacyNibbles<Count5>>.Tile(groups, tokens, GroupQuants(group), GroupScales(group), Blocks, x, xd, xc, y, yStride, rows);
        else NibbleDecode<LegacyNibbles<Count4>>.Tile(groups, tokens, GroupQuants(group), GroupScales(group), Blocks, x, xd, xc, y, yStride, rows);
    }
}
