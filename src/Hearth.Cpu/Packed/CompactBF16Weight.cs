using System.Runtime.Intrinsics;
using Hearth.Core.Gguf;
using Hearth.Core.Tensors;

namespace Hearth.Cpu.Packed;

/// <summary>A BF16 matrix held losslessly in 12 bits a weight instead of 16, for the AVX-512 float kernels
/// (<see cref="Kernels.CompactBF16Decode"/> at decode, <see cref="Kernels.FloatPanelGemm"/>'s widening at prompts).
/// Decode of a BF16 model streams every weight once per token and runs at the machine's memory bandwidth, so reading
/// a quarter fewer bytes is a quarter less time; prompts are compute-bound and pay one decode per widened panel.
///
/// <para>Why it is lossless: a BF16 is a sign, an 8-bit exponent and 7 mantissa bits. Its low byte (the exponent's
/// lowest bit and the mantissa) is kept as it is; its high byte (sign and the exponent's top 7 bits) is a nibble: the
/// sign and a 3-bit code, 0..6 for "the block's largest top-7 exponent minus 0..6", 7 for "top-7 exponent 0" (zeros
/// and the tiniest values). Trained weights in a block of 64 span a few binades, so the window of 14 binades holds
/// all but rare blocks; a block it does not hold (a nonzero value 2^13 times smaller than the block's largest, or
/// infinities beside small values) is kept whole as an exception. Every block decodes to the file's exact bits.</para>
///
/// <para>Layout: <see cref="Blocks"/> blocks of 64 columns a row, placed by <see cref="Position"/> (row groups of four with
/// their blocks interleaved, <see cref="RowGroups"/>). <see cref="Headers"/> holds each block's base
/// (its largest top-7 exponent) or <see cref="Exception"/>; each block's 96-byte slot in <see cref="Slots"/> holds 32
/// nibble bytes (positions 2p and 2p + 1 in byte p's low and high nibble) and 64 low bytes, or, for an exception, the
/// index of its 64 raw BF16 in <see cref="Exceptions"/>. Positions are ordered so the decoder's byte and word
/// interleaves (vpunpck*, within 128-bit lanes) yield columns in order: F32 through two interleaves (<see cref="ColumnAt"/>),
/// or, in <see cref="WordOrder"/>, BF16 words through one (<see cref="WordColumnAt"/>, for <see cref="Kernels.BF16PanelGemm"/>).</para>
///
/// <para><see cref="Weight.Data"/> stays the file's BF16 (the mapping), for embedding lookups and the lower SIMD rungs.</para></summary>
public sealed unsafe class CompactBF16Weight : Weight, IDisposable, IWidensRows
{
    public const int BlockColumns = 64, SlotBytes = 96;
    /// <summary>The header of a block kept whole in <see cref="Exceptions"/>.</summary>
    public const byte Exception = 0xFF;
    private const int ZeroCode = 7, WindowCodes = 7;

    private CompactBF16Weight(Weight source, byte* slots, byte* headers, ushort* exceptions, bool wordOrder)
        : base(source.Name, source.Type, source.Rows, source.Columns, source.Data)
    {
        WordOrder = wordOrder;
        Slots = slots;
        Headers = headers;
        Exceptions = exceptions;
    }

    /// <summary>Whether slot positions are ordered for BF16 words (<see cref="WordColumnAt"/>: the machine's BF16 tile
    /// reads this copy) rather than for F32 (<see cref="ColumnAt"/>: the F32 kernels).</summary>
    public bool WordOrder { get; }

    public byte* Slots { get; private set; }
    public byte* Headers { get; private set; }
    public ushort* Exceptions { get; private set; }
    public int Blocks => Columns / BlockColumns;
    /// <summary>Bytes the compact form holds (slots, headers, exceptions): compare with <see cref="Weight.RowBytes"/> · rows.</summary>
    public long CompactBytes { get; private set; }

    /// <summary>The decoder's lookup of a nibble (sign · 8 + code) to the BF16's high byte, per block base: 128 bases ×
    /// 16 bytes, broadcast into all four 128-bit lanes by the decoder.</summary>
    internal static readonly byte* HighBytes = BuildHighBytes();

    /// <summary>Whether a BF16 matrix is held compact on this backend: the AVX-512 float kernels (VBMI's vpermb looks up
    /// the high bytes where the machine has it, AVX-512BW's vpshufb where not), whole 64-column blocks, and not turned
    /// off by HEARTH_COMPACT_BF16=0.</summary>
    public static bool Compacts(Weight w, CpuIsa isa) =>
        w.Type == GgmlType.BF16 && w.Rows > 1 && w.Columns % BlockColumns == 0 && isa.Use512
        && Environment.GetEnvironmentVariable("HEARTH_COMPACT_BF16") != "0";

    public static CompactBF16Weight? TryCompact(Weight w, CpuIsa isa) => Compacts(w, isa) ? Compact(w, wordOrder: isa.UseEmittedBF16) : null;

    /// <summary>The compact form of a BF16 matrix (any shape with whole 64-column blocks; no machine requirement), its slots
    /// ordered for the BF16 tile where <paramref name="wordOrder"/>, for the F32 kernels where not.</summary>
    public static CompactBF16Weight Compact(Weight w, bool wordOrder = false)
    {
        if (w.Type != GgmlType.BF16 || w.Columns % BlockColumns != 0)
            throw new ArgumentException($"weight '{w.Name}' ({w.Type}, {w.Columns} columns) has no compact BF16 form");
        int perRow = w.Columns / BlockColumns;
        long blocks = (long)w.Rows * perRow;
        byte* slots = HostMemory.Allocate(blocks * SlotBytes);
        byte* headers = HostMemory.Allocate(blocks);
        var exceptions = new List<long>(); // source block (row · perRow + block) of each exception
        ushort* source = (ushort*)w.Data;
        for (int row = 0; row < w.Rows; row++)
            for (int j = 0; j < perRow; j++)
            {
                long at = RowGroups.Position(w.Rows, perRow, row, j), from = (long)row * perRow + j;
                if (TryEncode(source + from * BlockColumns, slots + at * SlotBytes, wordOrder ? WordSlotOrder : SlotOrder, out headers[at])) continue;
                headers[at] = Exception;
                *(int*)(slots + at * SlotBytes) = exceptions.Count;
                exceptions.Add(from);
            }
        long exceptionBytes = exceptions.Count * (long)BlockColumns * 2;
        ushort* raw = (ushort*)HostMemory.Allocate(Math.Max(exceptionBytes, 1));
        for (int i = 0; i < exceptions.Count; i++)
            Buffer.MemoryCopy(source + exceptions[i] * BlockColumns, raw + (long)i * BlockColumns, BlockColumns * 2, BlockColumns * 2);
        return new CompactBF16Weight(w, slots, headers, raw, wordOrder) { CompactBytes = blocks * (SlotBytes + 1) + exceptionBytes };
    }

    /// <summary>Where block <paramref name="block"/> of row <paramref name="row"/> is, in slots and headers (<see cref="RowGroups"/>).</summary>
    public long Position(int row, int block) => RowGroups.Position(Rows, Blocks, row, block);

    public void Widen(int n, int count, int c0, int kc, float* panel) => Kernels.CompactBF16Decode.Widen(this, n, count, c0, kc, panel);

    public void Words(int n, int count, int c0, int kc, ushort* panel, int stride) => Kernels.CompactBF16Decode.Words(this, n, count, c0, kc, panel, stride);

    /// <summary>Which column of its block the value at slot position <paramref name="p"/> is: the decoder's vpunpcklbw /
    /// vpunpckhbw then vpunpcklwd / vpunpckhwd put position 16ℓ + 4j + i (ℓ the 128-bit lane) at element 4ℓ + i of
    /// output vector j, which must hold column 16j + 4ℓ + i.</summary>
    public static int ColumnAt(int p) => 16 * (p % 16 / 4) + 4 * (p / 16) + p % 4;

    /// <summary>Which column the value at slot position <paramref name="p"/> is in <see cref="WordOrder"/>: vpunpcklbw /
    /// vpunpckhbw put position 16ℓ + i (ℓ the 128-bit lane, i &lt; 8) at word 8ℓ + i of the first output and 16ℓ + 8 + i
    /// at word 8ℓ + i of the second, which must hold columns 8ℓ + i and 32 + 8ℓ + i.</summary>
    public static int WordColumnAt(int p) => p % 16 < 8 ? 8 * (p / 16) + p % 16 : 32 + 8 * (p / 16) + p % 16 - 8;

    /// <summary>Which column of its block the value at slot position <paramref name="p"/> is in this copy.</summary>
    public int ColumnOf(int p) => WordOrder ? WordColumnAt(p) : ColumnAt(p);

    /// <summary>One block into its slot, or false where its exponents do not fit one window.</summary>
    private static bool TryEncode(ushort* values, byte* slot, Vector512<byte> slotOrder, out byte header)
    {
        // The largest top-7 exponent, and whether every nonzero one lies within the window below it.
        var v0 = Vector512.Load(values);
        var v1 = Vector512.Load(values + 32);
        var mask = Vector512.Create((ushort)0x7F);
        var e0 = Vector512.ShiftRightLogical(v0, 8) & mask;
        var e1 = Vector512.ShiftRightLogical(v1, 8) & mask;
        var m = Vector512.Max(e0, e1);
        var m256 = Vector256.Max(m.GetLower(), m.GetUpper());
        var m128 = Vector128.Max(m256.GetLower(), m256.GetUpper());
        int top = 0;
        for (int i = 0; i < 8; i++) top = Math.Max(top, m128.GetElement(i));
        header = (byte)top;
        var floor = Vector512.Create((ushort)Math.Max(top - (WindowCodes - 1), 0));
        var zero0 = Vector512.Equals(e0, Vector512<ushort>.Zero);
        var zero1 = Vector512.Equals(e1, Vector512<ushort>.Zero);
        if (((Vector512.LessThan(e0, floor) & ~zero0) | (Vector512.LessThan(e1, floor) & ~zero1)) != Vector512<ushort>.Zero) return false;
        // Nibbles (sign · 8 + code) and low bytes in column order, then moved to their slot positions.
        var topV = Vector512.Create((ushort)top);
        var n0 = (v0 >> 15 << 3) | Vector512.ConditionalSelect(zero0, Vector512.Create((ushort)ZeroCode), topV - e0);
        var n1 = (v1 >> 15 << 3) | Vector512.ConditionalSelect(zero1, Vector512.Create((ushort)ZeroCode), topV - e1);
        var nibbles = Vector512.Shuffle(Vector512.Narrow(n0, n1), slotOrder).AsUInt16();
        var packed = Vector512.Narrow(nibbles & Vector512.Create((ushort)0x0F), Vector512<ushort>.Zero) | Vector512.Narrow(nibbles >> 4 & Vector512.Create((ushort)0xF0), Vector512<ushort>.Zero);
        packed.GetLower().Store(slot);
        Vector512.Shuffle(Vector512.Narrow(v0 & Vector512.Create((ushort)0xFF), v1 & Vector512.Create((ushort)0xFF)), slotOrder).Store(slot + 32);
        return true;
    }

    /// <summary>For each slot position, its column (<see cref="ColumnAt"/>): the shuffle from column order to slot order.</summary>
    private static readonly Vector512<byte> SlotOrder = Vector512.Create(Enumerable.Range(0, BlockColumns).Select(p => (byte)ColumnAt(p)).ToArray());

    /// <summary><see cref="SlotOrder"/> for <see cref="WordOrder"/> (<see cref="WordColumnAt"/>).</summary>
    private static readonly Vector512<byte> WordSlotOrder = Vector512.Create(Enumerable.Range(0, BlockColumns).Select(p => (byte)WordColumnAt(p)).ToArray());

    private static byte* BuildHighBytes()
    {
        byte* t = HostMemory.Allocate(128 * 16);
        for (int top = 0; top < 128; top++)
            for (int nibble = 0; nibble < 16; nibble++)
            {
                int code = nibble & 7, sign = nibble >> 3;
                int e = code == ZeroCode ? 0 : Math.Max(top - code, 0); // codes below exponent 0 never occur
                t[top * 16 + nibble] = (byte)(sign << 7 | e);
            }
        return t;
    }

    public void Dispose()
    {
        HostMemory.Free(Slots);
        HostMemory.Free(Headers);
        HostMemory.Free((byte*)Exceptions);
        Slots = Headers = null;
        Exceptions = null;
    }
}
