using System.Runtime.InteropServices;
using Hearth.Core.Gguf;
using Hearth.Core.Quants;
using Hearth.Core.Tensors;
using Hearth.Cpu.Emitted;
using Hearth.Cpu.Kernels;

namespace Hearth.Cpu.Packed;

/// <summary>An IQ4_NL, IQ4_XS or MXFP4 weight re-laid out for the AVX-VNNI outer-product kernel with
/// <see cref="NibbleTableFormat{TTable, TDot}"/>: rows in groups of 8, 32-column blocks of table indexes as nibbles
/// (<see cref="NibbleLayout"/>, the file's own 4 bits), then the 8 rows' F32 block scales (IQ4_NL: d; IQ4_XS:
/// d·(ls − 32); MXFP4: the E8M0 half scale, which F16 could not hold for every exponent). MXFP4 for
/// <see cref="Mxfp4Decode"/> or the emitted AVX-512 VNNI tile (<see cref="EmittedKernels"/>, which runs every table
/// format here on such machines) keeps the file's one exponent byte per row and block instead (as e − 1, the half
/// scale's F32 exponent field): a fifth of the bytes the kernel streams at batched decode, where it is memory-bound.</summary>
public sealed unsafe class PackedTableWeight : PackedWeight
{
    private const int QuantBytes = 128;
    private readonly bool _mxfp4, _signed, _byteScales;

    private PackedTableWeight(Weight source, bool signed, bool byteScales)
        : base(source, 32, QuantBytes, GroupRows * (byteScales ? 1 : sizeof(float)))
    {
        _mxfp4 = source.Type == GgmlType.MXFP4;
        _signed = signed;
        _byteScales = byteScales;
    }

    /// <summary>True for the types this layout takes, at widths whose blocks it can hold.</summary>
    public static bool Packs(GgmlType type, int columns) => type switch
    {
        GgmlType.IQ4_NL or GgmlType.MXFP4 => columns % 32 == 0,
        GgmlType.IQ4_XS => columns % 256 == 0,
        _ => false,
    };

    /// <remarks>Every table keeps value + 128 by default: the signed forms (MXFP4's ±12 through
    /// <see cref="SignedSmallDot"/>, IQ4's ±127 through <see cref="SignedDot"/>) measured no faster on Zen 3 (1.00–1.01×,
    /// CPU time, interleaved A/B at 2048 × 8192), where the step's table lookup, not its multiplies, bounds the kernel.</remarks>
    public static PackedTableWeight Pack(Weight w) => Pack(w, signed: false);

    /// <summary><see cref="Pack(Weight)"/> for a backend at <paramref name="isa"/>: where it may run the emitted AVX-512
    /// VNNI tiles (<see cref="CpuIsa.UseEmittedVnni"/>), the tiles take them (MXFP4 with its exponent bytes, as for
    /// <see cref="Mxfp4Decode"/>).</summary>
    public static PackedTableWeight Pack(Weight w, CpuIsa isa) => Pack(w, signed: false, emitted: isa.UseEmittedVnni, vbmi: EmittedKernels.Vbmi);

    private bool _vbmi;

    private EmittedFormat Format => !_mxfp4 ? EmittedFormat.Iq4 : _byteScales ? EmittedFormat.Mxfp4Exponents : EmittedFormat.Mxfp4;

    /// <param name="signed">Whether the kernel takes the tables' signed values (<see cref="SignedSmallDot"/> for MXFP4,
    /// <see cref="SignedDot"/> for the IQ4 table) rather than value + 128 (<see cref="Offset128Dot"/>); the indexes are
    /// the same either way.</param>
    /// <param name="emitted">Whether the tiles run the emitted AVX-512 VNNI kernel (offset layout only).</param>
    /// <param name="vbmi">Whether that kernel looks the nibbles up with vpermb (<see cref="EmittedKernels.Vbmi"/>).</param>
    internal static PackedTableWeight Pack(Weight w, bool signed, bool emitted = false, bool vbmi = false)
    {
        if (!Packs(w.Type, w.Columns)) throw new ArgumentException($"weight '{w.Name}' ({w.Type}, {w.Columns} columns) has no table packed layout");
        emitted &= !signed;
        var p = new PackedTableWeight(w, signed, byteScales: w.Type == GgmlType.MXFP4 && !signed && (Mxfp4Decode.Serves || emitted) && NormalExponents(w));
        p.UsesEmittedKernel = emitted;
        p._vbmi = emitted && vbmi;
        int nb = p.Blocks;
        NativeMemory.Clear(p.Quants, (nuint)((long)p.Groups * nb * QuantBytes));
        float* scales = (float*)p.ScaleData;
        byte* exponents = p.ScaleData;
        NativeMemory.Clear(p.ScaleData, (nuint)((long)p.Groups * nb * GroupRows * (p._byteScales ? 1 : sizeof(float))));
        for (int row = 0; row < w.Rows; row++)
        {
            int g = row / GroupRows, r = row % GroupRows;
            byte* src = w.Row(row);
            for (int b = 0; b < nb; b++)
            {
                long gb = (long)g * nb + b;
                float scale = BlockScale(w.Type, src, b, out byte* qs);
                if (p._byteScales) exponents[gb * GroupRows + r] = (byte)(src[b * MXFP4.Bytes] - 1);
                else scales[gb * GroupRows + r] = scale;
                // Index j is in the low nibble of qs[j], j + 16 in the high one.
                byte* dst = p.Quants + gb * QuantBytes;
                NibbleLayout.PutRow(dst, r, qs, 16);
                NibbleLayout.PutRow(dst + 64, r, qs, 16, shift: 4);
            }
        }
        return p;
    }

    /// <summary>Whether every block exponent of an MXFP4 weight is at least 2, i.e. its half scale 2^(e − 128) is a
    /// normal float whose bits are (e − 1) &lt;&lt; 23 (<see cref="MXFP4.Scale"/>): then the exponent bytes are all the
    /// kernel needs. A weight with a subnormal scale (never seen in a real file) keeps F32 scales and the generic tile.</summary>
    private static bool NormalExponents(Weight w)
    {
        int nb = w.Columns / 32;
        for (int row = 0; row < w.Rows; row++)
        {
            byte* src = w.Row(row);
            for (int b = 0; b < nb; b++)
                if (src[b * MXFP4.Bytes] < 2) return false;
        }
        return true;
    }

    /// <summary>Block b's scale and its 16 bytes of indexes (value j in the low nibble of qs[j], j + 16 in the high one).</summary>
    private static float BlockScale(GgmlType type, byte* row, int b, out byte* qs)
    {
        switch (type)
        {
            case GgmlType.IQ4_NL:
                qs = row + b * IQ4_NL.Bytes + 2;
                return HalfBits.ToFloat(*(ushort*)(row + b * IQ4_NL.Bytes));
            case GgmlType.MXFP4:
                qs = row + b * MXFP4.Bytes + 1;
                return MXFP4.Scale(row[b * MXFP4.Bytes]);
            default:
                byte* sb = row + (b / 8) * IQ4_XS.Bytes;
                qs = sb + 8 + (b % 8) * 16;
                return HalfBits.ToFloat(*(ushort*)sb) * (IQ4_XS.ScaleCode(new ReadOnlySpan<byte>(sb, IQ4_XS.Bytes), b % 8) - 32);
        }
    }

    /// <remarks>Q8_0 (llama.cpp pairs IQ4_NL and MXFP4 with it; IQ4_XS with Q8_K, which the finer Q8_0 scales only make
    /// more precise); the correction is −128·Σx, which cancels the +128 the table values carry under vpdpbusd.
    /// MXFP4 on <see cref="Mxfp4Decode"/> takes that kernel's own correction instead.</remarks>
    internal override void QuantizeActivation(CpuIsa isa, float* x, sbyte* q, float* d, int* c)
    {
        if (!UsesMxfp4Kernel)
        {
            QuantizeActivations.Q8_0(isa, x, Columns, q, d, c);
            return;
        }
        QuantizeActivations.Q8_0(isa, x, Columns, q, d);
        PackedDots.PairCorrections(q, Blocks, c, 12);
    }

    /// <summary>Whether every tile of this weight runs <see cref="Mxfp4Decode"/> (MXFP4 in the offset layout on AVX2
    /// without AVX-VNNI, with exponent-byte scales).</summary>
    internal bool UsesMxfp4Kernel => _byteScales && !UsesEmittedKernel;

    /// <remarks>Without AVX-VNNI the tables' signed values meet activations interleaved with their magnitudes
    /// (<see cref="SignedDot"/>); with it, value + 128 goes through vpdpbusd.</remarks>
    internal override bool AbsActivations => _signed;

    /// <remarks><paramref name="xc"/> holds −128·Σx over each block (used only by vpdpbusd). MXFP4 without AVX-VNNI
    /// takes its own kernel (<see cref="Mxfp4Decode"/>: the same bits in a third of the instructions per token).</remarks>
    internal override void Tile(int group, int groups, int tokens, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows)
    {
        byte* q = GroupQuants(group), s = GroupScales(group);
        if (UsesEmittedKernel)
        {
            EmittedKernels.Tile(Format, _vbmi, groups, tokens, q, s, Blocks, x, xd, xc, y, yStride, rows);
            return;
        }
        if (UsesMxfp4Kernel)
        {
            Mxfp4Decode.Tile(groups, tokens, q, s, Blocks, x, xd, xc, y, yStride, rows);
            return;
        }
        if (AbsActivations)
        {
            if (_mxfp4) PackedGemm.Tile<NibbleTableFormat<Mxfp4Table, SignedSmallDot>>(groups, tokens, q, s, Blocks, x, xd, xc, y, yStride, rows);
            else PackedGemm.Tile<NibbleTableFormat<Iq4Table, SignedDot>>(groups, tokens, q, s, Blocks, x, xd, xc, y, yStride, rows);
        }
        else if (_mxfp4) PackedGemm.Tile<NibbleTableFormat<Mxfp4Table, Offset128Dot>>(groups, tokens, q, s, Blocks, x, xd, xc, y, yStride, rows);
        else PackedGemm.Tile<NibbleTableFormat<Iq4Table, Offset128Dot>>(groups, tokens, q, s, Blocks, x, xd, xc, y, yStride, rows);
    }
}
