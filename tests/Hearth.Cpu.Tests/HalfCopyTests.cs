using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Cpu.Kernels;
using Hearth.Cpu.Packed;

namespace Hearth.Cpu.Tests;

/// <summary>The AVX-512 float kernels' own copies of F16/BF16 matrices. The lossless 12-bit BF16 form (<see cref="CompactBF16Weight"/>): every block holds the file's exact bits
/// (read back by a scalar reading of the documented layout, and by the AVX-512 decoder), blocks the window cannot hold
/// are kept whole, in either slot order (for F32 or for BF16 words), and products with it are bit for bit those of the
/// plain BF16 copy, alone and in batches, on the BF16 tile and on the F32 kernels.</summary>
public sealed unsafe class HalfCopyTests
{
    /// <summary>Trained-like values (a few binades), and in one block of each row one of the awkward cases: zeros of both signs, subnormals,
    /// infinities and NaNs, a block spanning more binades than the window (kept whole), the smallest exponents (a base
    /// below the window's width), one huge value among small ones.</summary>
    private static ushort[] Values(Random r, int rows, int k)
    {
        var v = new ushort[rows * k];
        for (int row = 0; row < rows; row++)
        {
            float scale = MathF.Pow(2, r.Next(-8, 3)) * 0.02f;
            for (int i = row * k; i < (row + 1) * k; i++)
                v[i] = (ushort)(BitConverter.SingleToUInt32Bits((float)(r.NextDouble() * 2 - 1) * scale) >> 16);
        }
        ushort[] specials = [0x0000, 0x8000, 0x0001, 0x807F, 0x0080, 0x7F80, 0xFF80, 0x7FC1, 0x7F7F, 0xFF7F, 0x3F80];
        for (int row = 0; row < rows; row++)
        {
            int at = row * k + r.Next(k / 64) * 64;
            switch (row % 4)
            {
                case 0: for (int i = 0; i < 64; i++) v[at + i] = specials[r.Next(specials.Length)]; break;
                case 1: for (int i = 0; i < 64; i++) v[at + i] = (ushort)(r.Next(2) << 15 | r.Next(0, 6) << 7 | r.Next(128)); break;
                case 2: v[at + r.Next(64)] = 0x7F00; break; // 2^127 beside values of 2^-6: far outside the window
                default: for (int i = 0; i < 64; i++) v[at + i] = (ushort)(r.Next(0x10000)); break;
            }
        }
        return v;
    }

    private static Weight Plain(ushort[] values, int rows, int k, out byte[] storage)
    {
        storage = GC.AllocateArray<byte>(values.Length * 2, pinned: true);
        Buffer.BlockCopy(values, 0, storage, 0, storage.Length);
        fixed (byte* p = storage) return new Weight("w", GgmlType.BF16, rows, k, p);
    }

    public static TheoryData<int, int> Shapes => new() { { 4, 64 }, { 29, 576 }, { 64, 2880 }, { 9, 2048 } };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EveryBlockHoldsTheFilesBits(int rows, int k)
    {
        foreach (bool wordOrder in new[] { false, true }) AssertEveryBlock(rows, k, wordOrder);
    }

    private static void AssertEveryBlock(int rows, int k, bool wordOrder)
    {
        var values = Values(new Random(rows * k), rows, k);
        var plain = Plain(values, rows, k, out var storage);
        using var c = CompactBF16Weight.Compact(plain, wordOrder);
        int whole = 0;
        for (int row = 0; row < rows; row++)
            for (int j = 0; j < c.Blocks; j++)
            {
                long at = c.Position(row, j);
                byte header = c.Headers[at];
                byte* slot = c.Slots + at * CompactBF16Weight.SlotBytes;
                for (int p = 0; p < 64; p++)
                {
                    int column = c.ColumnOf(p);
                    ushort expected = values[row * k + j * 64 + column], got;
                    if (header == CompactBF16Weight.Exception)
                        got = c.Exceptions[*(int*)slot * 64L + column];
                    else
                    {
                        int nibble = (slot[p / 2] >> (4 * (p % 2))) & 15;
                        got = (ushort)(CompactBF16Weight.HighBytes[header * 16 + nibble] << 8 | slot[32 + p]);
                    }
                    Assert.True(expected == got, $"row {row} block {j} column {column} (word order {wordOrder}): 0x{expected:X4} stored as 0x{got:X4}");
                }
                if (header == CompactBF16Weight.Exception) whole++;
            }
        // The far-apart values force whole blocks; beside each row's awkward block, values uniform in (−s, s) leave
        // a block whole only where one lies below s·2^-13 (≈ 0.8 % of blocks).
        Assert.InRange(whole, 1, rows + rows * c.Blocks / 20);
        Assert.Equal((long)rows * c.Blocks * 97 + whole * 128L, c.CompactBytes);
        GC.KeepAlive(storage);
    }

    /// <summary>Both decoders (vpermb where the machine has VBMI, vpshufb on any AVX-512 machine) give every block's
    /// exact values, and the 4-row decode kernel the same bits through either.</summary>
    [CompactKernelTheory]
    [MemberData(nameof(Shapes))]
    public void TheDecodersGiveTheFilesBits(int rows, int k)
    {
        var values = Values(new Random(7 + rows * k), rows, k);
        var plain = Plain(values, rows, k, out var storage);
        using var c = CompactBF16Weight.Compact(plain);
        var source = new CompactBF16Decode.Source(c);
        for (int row = 0; row < rows; row++)
            for (int j = 0; j < c.Blocks; j++)
            {
                CompactBF16Decode.Block<CompactBF16Decode.ShuffleLookup>(source, c.Position(row, j), out var v0, out var v1, out var v2, out var v3);
                AssertBlock([v0, v1, v2, v3], values, row * k + j * 64);
                if (!Avx512Vbmi.IsSupported) continue;
                CompactBF16Decode.Block<CompactBF16Decode.PermuteLookup>(source, c.Position(row, j), out v0, out v1, out v2, out v3);
                AssertBlock([v0, v1, v2, v3], values, row * k + j * 64);
            }
        foreach (bool wordOrder in new[] { false, true })
        {
            using var ordered = CompactBF16Weight.Compact(plain, wordOrder);
            var words = new CompactBF16Decode.Source(ordered);
            for (int row = 0; row < rows; row++)
                for (int j = 0; j < c.Blocks; j++)
                {
                    long at = ordered.Position(row, j);
                    byte header = ordered.Headers[at];
                    byte* slot = ordered.Slots + at * CompactBF16Weight.SlotBytes;
                    Vector512<ushort> w0, w1;
                    if (wordOrder) CompactBF16Decode.BlockWords<CompactBF16Decode.ShuffleLookup, CompactBF16Decode.WordSlots>(words, header, slot, out w0, out w1);
                    else CompactBF16Decode.BlockWords<CompactBF16Decode.ShuffleLookup, CompactBF16Decode.FloatSlots>(words, header, slot, out w0, out w1);
                    AssertWords(w0, w1, values, row * k + j * 64);
                    if (!Avx512Vbmi.IsSupported) continue;
                    if (wordOrder) CompactBF16Decode.BlockWords<CompactBF16Decode.PermuteLookup, CompactBF16Decode.WordSlots>(words, header, slot, out w0, out w1);
                    else CompactBF16Decode.BlockWords<CompactBF16Decode.PermuteLookup, CompactBF16Decode.FloatSlots>(words, header, slot, out w0, out w1);
                    AssertWords(w0, w1, values, row * k + j * 64);
                }
            if (wordOrder) Assert.Throws<ArgumentException>(() => CompactBF16Decode.Widen(ordered, 0, 1, 0, 64, null));
        }
        if (Avx512Vbmi.IsSupported)
        {
            var x = TestData.Floats(new Random(8), k, 2f);
            float[] y1 = new float[4], y2 = new float[4];
            fixed (float* px = x, p1 = y1, p2 = y2)
                for (int n = 0; n + 4 <= rows; n += 4)
                {
                    CompactBF16Decode.Rows4<CompactBF16Decode.ShuffleLookup>(c, n, px, p1);
                    CompactBF16Decode.Rows4<CompactBF16Decode.PermuteLookup>(c, n, px, p2);
                    Assert.Equal(y2.Select(BitConverter.SingleToUInt32Bits), y1.Select(BitConverter.SingleToUInt32Bits));
                }
        }
        GC.KeepAlive(storage);
    }

    private static void AssertWords(Vector512<ushort> w0, Vector512<ushort> w1, ushort[] values, int first)
    {
        for (int column = 0; column < 64; column++)
            Assert.Equal(values[first + column], (column < 32 ? w0 : w1).GetElement(column % 32));
    }

    private static void AssertBlock(Vector512<float>[] v, ushort[] values, int first)
    {
        for (int column = 0; column < 64; column++)
            Assert.Equal((uint)values[first + column] << 16, BitConverter.SingleToUInt32Bits(v[column / 16].GetElement(column % 16)));
    }

    /// <summary>Products with the compact form equal the plain copy's bit for bit: decode (one token, the 4-row kernel
    /// and the chunk's last rows through the panel kernel) and batches of 2..7 (the panel kernel widening compact
    /// blocks), on shapes with partial row groups and a short last column block.</summary>
    [CompactKernelTheory]
    [MemberData(nameof(Shapes))]
    public void ProductsGiveThePlainCopysBits(int rows, int k)
    {
        var r = new Random(11 + rows + k);
        var values = Values(r, rows, k);
        var plain = Plain(values, rows, k, out var storage);
        foreach (bool wordOrder in new[] { false, true })
        {
            using var compact = CompactBF16Weight.Compact(plain, wordOrder);
            AssertSameProducts(r, compact, plain);
        }
        GC.KeepAlive(storage);
    }

    /// <summary>1..7 tokens' products with <paramref name="own"/> equal the plain copy's of <paramref name="plain"/> bit
    /// for bit (NaN and infinity rows make NaN sums: bits compare those too), and a batch large enough to be taken column
    /// block by column block (<see cref="BF16PanelGemm"/>); on the machine's top rung (the BF16 tile where it has one) and
    /// on the AVX-512 F32 kernels.</summary>
    private static void AssertSameProducts(Random r, Weight own, Weight plain)
    {
        using var copy = CopiedWeight.Copy(plain);
        foreach (var isa in new[] { CpuIsa.Detected, new CpuIsa(512, allowVnni: false) })
        {
            using var backend = new CpuBackend(2, isa);
            foreach (int t in new[] { 1, 2, 3, 4, 5, 6, 7, 70 })
                PackedSignedLayoutTests.SameBits(backend, TestData.Floats(r, t * plain.Columns, 2f), t, copy, own, plain.Rows, plain.Columns,
                    $"{plain.Type} {own.GetType().Name} on {isa.PathName}");
        }
    }

    /// <summary>The grouped copies of F16 and BF16 (<see cref="GroupedHalfWeight"/>, the file's values in row groups)
    /// give the plain copy's bits too, alone and in batches.</summary>
    [GroupedKernelTheory]
    [MemberData(nameof(Shapes))]
    public void GroupedCopiesGiveThePlainCopysBits(int rows, int k)
    {
        var r = new Random(13 + rows + k);
        foreach (var type in new[] { GgmlType.F16, GgmlType.BF16 })
        {
            var (plain, storage) = TestData.MakeWeight(r, type, rows, k);
            using var grouped = GroupedHalfWeight.Group(plain);
            AssertSameProducts(r, grouped, plain);
            GC.KeepAlive(storage);
        }
    }

    [Fact]
    public void TheBackendHoldsBF16CompactWhereItsKernelsRun()
    {
        var values = Values(new Random(3), 8, 128);
        var plain = Plain(values, 8, 128, out var storage);
        bool runs = CpuIsa.DetectedBits >= 512 && Environment.GetEnvironmentVariable("HEARTH_COMPACT_BF16") != "0";
        using (var top = new CpuBackend(1))
        {
            var adopted = top.AdoptWeight(plain);
            Assert.Equal(runs, adopted is CompactBF16Weight);
            // Its slots in the order the machine's kernels read: BF16 words for the BF16 tile, F32 otherwise.
            if (adopted is CompactBF16Weight c) Assert.Equal(CpuIsa.Detected.UseEmittedBF16, c.WordOrder);
        }
        using (var avx2 = new CpuBackend(1, new CpuIsa(256)))
            Assert.IsType<CopiedWeight>(avx2.AdoptWeight(plain));
        // F16 takes the grouped copy wherever the AVX-512 float kernels run.
        var (f16, storage3) = TestData.MakeWeight(new Random(5), GgmlType.F16, 8, 128);
        using (var top = new CpuBackend(1))
            Assert.Equal(CpuIsa.DetectedBits >= 512 && Environment.GetEnvironmentVariable("HEARTH_GROUPED_HALF") != "0", top.AdoptWeight(f16) is GroupedHalfWeight);
        GC.KeepAlive(storage3);
        // Columns that are not whole 64-column blocks keep the plain copy.
        var odd = Plain(Values(new Random(4), 8, 96)[..(8 * 96)], 8, 96, out var storage2);
        using (var top = new CpuBackend(1))
            Assert.IsType<CopiedWeight>(top.AdoptWeight(odd));
        Assert.Throws<ArgumentException>(() => CompactBF16Weight.Compact(odd));
        GC.KeepAlive(storage);
        GC.KeepAlive(storage2);
    }
}

/// <summary>A theory that runs the compact BF16 kernels: skipped, saying why, on machines without AVX-512 (accelerated).</summary>
public sealed class CompactKernelTheoryAttribute : TheoryAttribute
{
    public CompactKernelTheoryAttribute()
    {
        if (CpuIsa.DetectedBits < 512)
            Skip = "the compact BF16 kernels need AVX-512, which this machine lacks";
    }
}

/// <summary>A theory that runs the AVX-512 float kernels on grouped copies: skipped, saying why, without AVX-512.</summary>
public sealed class GroupedKernelTheoryAttribute : TheoryAttribute
{
    public GroupedKernelTheoryAttribute()
    {
        if (CpuIsa.DetectedBits < 512)
            Skip = "the grouped F16/BF16 kernels need AVX-512, which this machine lacks";
    }
}
