using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Hearth.Cpu.Packed;

namespace Hearth.Cpu.Kernels;

/// <summary>Products with a <see cref="CompactBF16Weight"/> on AVX-512: each 64-column block back to its 64 exact
/// F32 values in column order (four vectors of 16), then the same FMAs in the same order as <see cref="F16Decode"/>
/// and <see cref="FloatPanelGemm"/> run on the file's BF16, so the compact form gives the same bits as the plain one,
/// at decode and in a batch alike. On machines with AVX512_BF16 the blocks go back to BF16 words instead
/// (<see cref="Words"/>, a panel for <see cref="BF16PanelGemm"/>; decode decodes in registers, <see cref="Emitted.EmittedCompactBF16Code"/>).</summary>
internal static unsafe class CompactBF16Decode
{
    /// <summary>Block <paramref name="block"/> of a row (its slot and header) as the F32 values of columns 0..15, 16..31,
    /// 32..47, 48..63: the slot's BF16 words (<see cref="SlotWords{TL}"/>) interleaved with zeros into F32 (vpunpck*; the
    /// slot's position order, <see cref="CompactBF16Weight.ColumnAt"/>, makes these lane-wise interleaves come out in
    /// column order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Block<TL>(in Source w, long block, out Vector512<float> v0, out Vector512<float> v1, out Vector512<float> v2, out Vector512<float> v3) where TL : struct, IHighByteLookup
    {
        byte header = w.Headers[block];
        byte* slot = w.Slots + block * CompactBF16Weight.SlotBytes;
        if (header == CompactBF16Weight.Exception)
        {
            // Inline, as a call taking the four outputs by reference would keep them in memory on every path.
            ushort* raw = w.Exceptions + (long)*(int*)slot * CompactBF16Weight.BlockColumns;
            v0 = Widen(raw); v1 = Widen(raw + 16); v2 = Widen(raw + 32); v3 = Widen(raw + 48);
            return;
        }
        SlotWords<TL>(w, slot, header, out var a, out var b);
        var zero = Vector512<ushort>.Zero;
        v0 = Avx512BW.UnpackLow(zero, a).AsSingle();
        v1 = Avx512BW.UnpackHigh(zero, a).AsSingle();
        v2 = Avx512BW.UnpackLow(zero, b).AsSingle();
        v3 = Avx512BW.UnpackHigh(zero, b).AsSingle();
    }

    /// <summary>A (not excepted) block's BF16 words in slot order: <paramref name="a"/> holds columns 0..31, <paramref name="b"/>
    /// columns 32..63, each lane ℓ's eight words columns 4ℓ..4ℓ+3 then 16+4ℓ..16+4ℓ+3 (of its half). The nibbles widened
    /// to 16-bit lanes and split into one index byte each (vpmovzxbw, shift, bit select), looked up in the base's
    /// high-byte table, interleaved with the low bytes (vpunpck{l,h}bw).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SlotWords<TL>(in Source w, byte* slot, byte header, out Vector512<ushort> a, out Vector512<ushort> b) where TL : struct, IHighByteLookup
    {
        var words = Avx512BW.ConvertToVector512Int16(Vector256.Load(slot)).AsUInt16();
        // Word p = nibble byte p: its low byte keeps the low nibble (plus a copy in bits 4..7), its high byte gets the
        // high nibble.
        var indexes = Vector512.ConditionalSelect(Vector512.Create((ushort)0x000F), words, words << 4).AsByte();
        var table = Avx512F.BroadcastVector128ToVector512((int*)(w.HighBytes + header * 16)).AsByte();
        var high = TL.Lookup(table, indexes);
        var low = Vector512.Load(slot + 32);
        a = Avx512BW.UnpackLow(low, high).AsUInt16();
        b = Avx512BW.UnpackHigh(low, high).AsUInt16();
    }

    /// <summary>A block (its header and slot) as BF16 in column order (columns 0..31, 32..63): in a copy in
    /// <see cref="CompactBF16Weight.WordOrder"/> the slot's words as they come (<typeparamref name="TO"/>), in one ordered for
    /// F32 each put in place by one vpermw.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void BlockWords<TL, TO>(in Source w, byte header, byte* slot, out Vector512<ushort> w0, out Vector512<ushort> w1)
        where TL : struct, IHighByteLookup where TO : struct, ISlotOrder
    {
        if (header == CompactBF16Weight.Exception)
        {
            ushort* raw = w.Exceptions + (long)*(int*)slot * CompactBF16Weight.BlockColumns;
            w0 = Vector512.Load(raw); w1 = Vector512.Load(raw + 32);
            return;
        }
        SlotWords<TL>(w, slot, header, out var a, out var b);
        if (TO.Words)
        {
            w0 = a; w1 = b;
            return;
        }
        w0 = Avx512BW.PermuteVar32x16(a, WordOrder);
        w1 = Avx512BW.PermuteVar32x16(b, WordOrder);
    }

    /// <summary>Which slot order a compact copy has (<see cref="CompactBF16Weight.WordOrder"/>), as a type argument so the
    /// block loop is compiled for each.</summary>
    public interface ISlotOrder
    {
        static abstract bool Words { get; }
    }

    public readonly struct WordSlots : ISlotOrder
    {
        public static bool Words => true;
    }

    public readonly struct FloatSlots : ISlotOrder
    {
        public static bool Words => false;
    }

    /// <summary>For each column c of a half block, the word holding it in a copy ordered for F32 (see <see cref="SlotWords{TL}"/>).</summary>
    private static readonly Vector512<ushort> WordOrder = Vector512.Create(Enumerable.Range(0, 32)
        .Select(c => (ushort)(c % 16 / 4 * 8 + c / 16 * 4 + c % 4)).ToArray());

    /// <summary>Columns [c0, c0 + kc) (whole blocks) of <paramref name="count"/> rows of the row group at <paramref name="n"/>
    /// as BF16, <paramref name="stride"/> apart in <paramref name="panel"/>: <see cref="BF16PanelGemm"/>'s panel of a compact
    /// weight. Blocks are read in the group's order (block j of each row, then j + 1): one stream.</summary>
    public static void Words(CompactBF16Weight weight, int n, int count, int c0, int kc, ushort* panel, int stride)
    {
        if (weight.WordOrder && Avx512Vbmi.IsSupported) Words<PermuteLookup, WordSlots>(weight, n, count, c0, kc, panel, stride);
        else if (weight.WordOrder) Words<ShuffleLookup, WordSlots>(weight, n, count, c0, kc, panel, stride);
        else if (Avx512Vbmi.IsSupported) Words<PermuteLookup, FloatSlots>(weight, n, count, c0, kc, panel, stride);
        else Words<ShuffleLookup, FloatSlots>(weight, n, count, c0, kc, panel, stride);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Words<TL, TO>(CompactBF16Weight weight, int n, int count, int c0, int kc, ushort* panel, int stride)
        where TL : struct, IHighByteLookup where TO : struct, ISlotOrder
    {
        var w = new Source(weight);
        long first = weight.Position(n, c0 / CompactBF16Weight.BlockColumns);
        int step = RowGroups.Stride(weight.Rows, n), blocks = kc / CompactBF16Weight.BlockColumns;
        // Pointers stepped through the group's blocks in order (no Position() multiplies per block).
        byte* header = w.Headers + first, slot = w.Slots + first * CompactBF16Weight.SlotBytes;
        for (int j = 0; j < blocks; j++, header += step, slot += step * CompactBF16Weight.SlotBytes)
        {
            ushort* d = panel + j * CompactBF16Weight.BlockColumns;
            for (int r = 0; r < count; r++, d += stride)
            {
                BlockWords<TL, TO>(w, header[r], slot + r * CompactBF16Weight.SlotBytes, out var w0, out var w1);
                w0.Store(d);
                w1.Store(d + 32);
            }
        }
    }

    /// <summary>How a block's 64 index bytes (a nibble in bits 0..3, a copy of it in bits 4..7 where the nibble is a
    /// byte's low one) look up its base's 16-byte table, broadcast to the four 128-bit lanes.</summary>
    public interface IHighByteLookup
    {
        static abstract Vector512<byte> Lookup(Vector512<byte> table, Vector512<byte> indexes);
    }

    /// <summary>VBMI's vpermb reads six index bits: the two above the nibble pick one of the table's four copies.</summary>
    public readonly struct PermuteLookup : IHighByteLookup
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<byte> Lookup(Vector512<byte> table, Vector512<byte> indexes) => Avx512Vbmi.PermuteVar64x8(table, indexes);
    }

    /// <summary>AVX-512BW's vpshufb looks up within each lane and zeroes on bit 7: the copy is masked off first.</summary>
    public readonly struct ShuffleLookup : IHighByteLookup
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<byte> Lookup(Vector512<byte> table, Vector512<byte> indexes) =>
            Avx512BW.Shuffle(table, indexes & Vector512.Create((byte)0x0F));
    }

    /// <summary>The F32 decoders read copies ordered for F32 only (a machine's backend makes the order its kernels read).</summary>
    private static void RequireFloatOrder(CompactBF16Weight weight)
    {
        if (weight.WordOrder) throw new ArgumentException($"compact weight '{weight.Name}' is ordered for the BF16 tile, not the F32 kernels");
    }

    /// <summary>A compact weight's pointers, read once per call (the loops then keep them in registers).</summary>
    public readonly struct Source(CompactBF16Weight w)
    {
        public readonly byte* Slots = w.Slots, Headers = w.Headers, HighBytes = CompactBF16Weight.HighBytes;
        public readonly ushort* Exceptions = w.Exceptions;
        public readonly int Blocks = w.Blocks;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Widen(ushort* h) => (Avx512F.ConvertToVector512UInt32(Vector256.Load(h)) << 16).AsSingle();

    /// <summary>Columns [c0, c0 + kc) (whole blocks) of <paramref name="count"/> rows from <paramref name="n"/> as F32,
    /// kc apart in <paramref name="panel"/>: <see cref="FloatPanelGemm"/>'s widening of a compact weight.</summary>
    public static void Widen(CompactBF16Weight weight, int n, int count, int c0, int kc, float* panel)
    {
        RequireFloatOrder(weight);
        if (Avx512Vbmi.IsSupported) Widen<PermuteLookup>(weight, n, count, c0, kc, panel);
        else Widen<ShuffleLookup>(weight, n, count, c0, kc, panel);
    }

    private static void Widen<TL>(CompactBF16Weight weight, int n, int count, int c0, int kc, float* panel) where TL : struct, IHighByteLookup
    {
        var w = new Source(weight);
        for (int r = 0; r < count; r++)
        {
            float* d = panel + (long)r * kc;
            long block = weight.Position(n + r, c0 / CompactBF16Weight.BlockColumns), step = RowGroups.Stride(weight.Rows, n + r);
            for (int i = 0; i < kc; i += CompactBF16Weight.BlockColumns, block += step)
            {
                Block<TL>(w, block, out var v0, out var v1, out var v2, out var v3);
                v0.Store(d + i); v1.Store(d + i + 16); v2.Store(d + i + 32); v3.Store(d + i + 48);
            }
        }
    }

    /// <summary>Rows n..n + 3 (a whole group of <see cref="RowGroups"/>) · x → y[0..4), as
    /// <see cref="F16Decode.Rows4{TH}"/> sums them: per column block of <see cref="FloatPanelGemm.ColumnBlock"/>, each
    /// row's 16 lanes over the block's vectors in order, the four rows reduced together, the blocks' sums added to y in
    /// order (every column is in a whole vector here); the group's four chains of FMAs side by side from one stream.
    /// <see cref="F16Decode.GroupRows4{TH}"/> has the same loop over its own blocks: one generic loop over both (a block
    /// source's Accumulate, one call deeper) left the block decode out of line in tiered runs, at 10 tokens/s instead of
    /// 15–16 on the 1B BF16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows4<TL>(CompactBF16Weight weight, int n, float* x, float* y) where TL : struct, IHighByteLookup
    {
        const int cb = FloatPanelGemm.ColumnBlock, per = cb / CompactBF16Weight.BlockColumns;
        RequireFloatOrder(weight);
        var w = new Source(weight);
        int k = weight.Columns;
        long first = weight.Position(n, 0);
        for (int c0 = 0, j = 0; c0 < k; c0 += cb)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int end = Math.Min(w.Blocks, j + per); j < end; j++)
            {
                long at = first + 4L * j;
                float* xj = x + j * CompactBF16Weight.BlockColumns;
                a0 = Accumulate<TL>(w, at, xj, a0);
                a1 = Accumulate<TL>(w, at + 1, xj, a1);
                a2 = Accumulate<TL>(w, at + 2, xj, a2);
                a3 = Accumulate<TL>(w, at + 3, xj, a3);
            }
            var s = VectorSums.Sum4(a0, a1, a2, a3);
            if (c0 > 0) s += Vector128.Load(y);
            s.Store(y);
        }
    }

    /// <summary>a + one block's 64 columns · x, vector by vector in column order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Accumulate<TL>(in Source w, long block, float* x, Vector512<float> a) where TL : struct, IHighByteLookup
    {
        Block<TL>(w, block, out var v0, out var v1, out var v2, out var v3);
        a = Vector512.FusedMultiplyAdd(v0, Vector512.Load(x), a);
        a = Vector512.FusedMultiplyAdd(v1, Vector512.Load(x + 16), a);
        a = Vector512.FusedMultiplyAdd(v2, Vector512.Load(x + 32), a);
        return Vector512.FusedMultiplyAdd(v3, Vector512.Load(x + 48), a);
    }
}
