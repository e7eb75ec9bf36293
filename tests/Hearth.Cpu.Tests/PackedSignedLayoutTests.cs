using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Cpu.Packed;

namespace Hearth.Cpu.Tests;

/// <summary>The AVX2 kernels' signed int8 layouts (weights w against activations interleaved with |x|,
/// <see cref="PackedDots.Signed"/>) against the offset-128 layouts they replace on machines without AVX-VNNI: integer sums
/// are exact, so every output must be the same bits, at every tile shape (1..2 groups × 1..4 tokens, partial groups).</summary>
public sealed class PackedSignedLayoutTests
{
    private static readonly int[] TokenCounts = [1, 2, 3, 4, 5, 7, 9, 16];

    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q5_0)]
    public unsafe void Q8_0FamilyGivesTheOffsetLayoutsBits(GgmlType type)
    {
        var r = new Random(77 + (int)type);
        using var backend = new CpuBackend(2, SimdPaths.Isa(256, true));
        foreach (int k in new[] { 32, 288 })
            foreach (int n in new[] { 8, 13, 40 })
            {
                var (w, storage) = TestData.MakeWeight(r, type, n, k);
                using var offset = PackedQ8_0Weight.Pack(w, preferSigned: false);
                using var signed = PackedQ8_0Weight.Pack(w, preferSigned: true);
                Assert.False(offset.Signed);
                Assert.True(signed.Signed);
                // The default: the signed layout only where it pays (the small-valued formats, without AVX-VNNI).
                using (var chosen = PackedQ8_0Weight.Pack(w))
                    Assert.Equal(!System.Runtime.Intrinsics.X86.AvxVnni.IsSupported && type != GgmlType.Q8_0, chosen.Signed);
                AssertSameBits(backend, r, offset, signed, n, k, $"{type} k={k} n={n}");
                GC.KeepAlive(storage);
            }
    }

    /// <summary>Q4_0 and Q5_0 in their files' bytes (<see cref="PackedLegacyWeight"/>: unsigned values against int8
    /// activations in wrapping int16 lanes that start at −off·Σx) must give the signed layout's bits at every tile shape,
    /// on random blocks and at the extremes (every value 0 or the largest, every activation ±127 with or against it),
    /// where a wrong correction or a saturating add would show.</summary>
    [Theory]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q5_0)]
    public unsafe void LegacyLayoutGivesTheSignedLayoutsBits(GgmlType type)
    {
        if (!System.Runtime.Intrinsics.X86.Avx2.IsSupported) return; // the layout's kernel is AVX2
        var r = new Random(23 + (int)type);
        using var backend = new CpuBackend(2, SimdPaths.Isa(256, true));
        int blockBytes = type == GgmlType.Q4_0 ? 18 : 22;
        foreach (int k in new[] { 32, 288 })
            foreach (int n in new[] { 8, 13, 40 })
            {
                var (w, storage) = TestData.MakeWeight(r, type, n, k);
                bool extremes = n == 40;
                if (extremes)
                    for (int row = 0; row < n; row++)
                        for (int b = 0; b < k / 32; b++)
                        {
                            int at = row * (k / 32 * blockBytes) + b * blockBytes;
                            BitConverter.TryWriteBytes(storage.AsSpan(at, 2), (Half)0.03);
                            for (int j = 2; j < blockBytes; j++)
                                storage[at + j] = (row % 3) switch { 0 => 0x00, 1 => 0xFF, _ => (byte)r.Next(256) };
                        }
                using var signed = PackedQ8_0Weight.Pack(w, preferSigned: true);
                using var legacy = PackedLegacyWeight.Pack(w);
                Assert.True(signed.Signed);
                Assert.Equal(PackedLegacyWeight.Packs(type, k), PackedWeight.TryPack(w, SimdPaths.Isa(256, true)) is PackedLegacyWeight);
                foreach (int t in TokenCounts)
                {
                    var x = extremes
                        ? Enumerable.Range(0, t * k).Select(i => (i / k % 3) switch { 0 => 1f, 1 => -1f, _ => r.Next(2) == 0 ? 1f : -1f }).ToArray()
                        : TestData.Floats(r, t * k, 3f);
                    SameBits(backend, x, t, signed, legacy, n, k, $"{type} k={k} n={n}");
                }
                // Embedding lookups read rows back from this copy: the file's bytes, byte for byte.
                Assert.True(legacy.RestoresRows);
                var rowBytes = new byte[w.RowBytes];
                for (int i = 0; i < n; i++)
                    fixed (byte* d = rowBytes)
                    {
                        legacy.RestoreRow(i, d);
                        Assert.Equal(new ReadOnlySpan<byte>(w.Row(i), (int)w.RowBytes).ToArray(), rowBytes);
                    }
                GC.KeepAlive(storage);
            }
    }

    [Theory]
    [InlineData(GgmlType.IQ4_NL)]
    [InlineData(GgmlType.IQ4_XS)]
    [InlineData(GgmlType.MXFP4)]
    public void TablesGiveTheOffsetLayoutsBits(GgmlType type)
    {
        // Without AVX-VNNI, MXFP4's offset layout at one token runs Mxfp4Decode: this pins it to the generic tile's bits.
        var r = new Random(91 + (int)type);
        using var backend = new CpuBackend(2, SimdPaths.Isa(256, true));
        foreach (int k in new[] { 256, 512 })
            foreach (int n in new[] { 13, 40 })
            {
                var (w, storage) = TestData.MakeWeight(r, type, n, k);
                using var offset = PackedTableWeight.Pack(w, signed: false);
                using var signed = PackedTableWeight.Pack(w, signed: true);
                AssertSameBits(backend, r, offset, signed, n, k, $"{type} k={k} n={n}");
                GC.KeepAlive(storage);
            }
    }

    /// <summary>MXFP4's kernel without AVX-VNNI (<see cref="Mxfp4Decode"/>) adds w + 12 against int8 activations in
    /// wrapping int16 lanes and relies on the correction to bring each lane back to Σ w·x, which fits: at the extremes
    /// (every weight ±12, every activation ±127 with or against its sign) the sums must still be the generic tile's.</summary>
    [Fact]
    public unsafe void Mxfp4AtItsExtremesGivesTheOffsetLayoutsBits()
    {
        const int n = 24, k = 96, blockBytes = 17;
        long rowBytes = GgmlTypeInfo.RowBytes(GgmlType.MXFP4, k);
        var storage = GC.AllocateArray<byte>((int)(rowBytes * n) + 64, pinned: true);
        var r = new Random(12);
        for (int row = 0; row < n; row++)
            for (int b = 0; b < k / 32; b++)
            {
                int at = (int)(row * rowBytes) + b * blockBytes;
                storage[at] = (byte)(120 + b); // E8M0 exponent
                // Nibble 7 is +12 (6 doubled), 15 is −12: rows all +12, all −12, or mixed at random.
                for (int j = 1; j < blockBytes; j++)
                    storage[at + j] = (row % 3) switch { 0 => 0x77, 1 => 0xFF, _ => (byte)((r.Next(2) == 0 ? 0x07 : 0x0F) | (r.Next(2) == 0 ? 0x70 : 0xF0)) };
            }
        Weight w;
        fixed (byte* p = storage) w = new Weight("w", GgmlType.MXFP4, n, k, p);
        using var backend = new CpuBackend(2, SimdPaths.Isa(256, true));
        using var offset = PackedTableWeight.Pack(w, signed: false);
        using var signed = PackedTableWeight.Pack(w, signed: true);
        foreach (int t in TokenCounts)
        {
            // Each token's activations: all +1, all −1, or ±1 at random; every one quantizes to ±127.
            var x = new float[t * k];
            for (int u = 0; u < t; u++)
                for (int i = 0; i < k; i++) x[u * k + i] = (u % 3) switch { 0 => 1f, 1 => -1f, _ => r.Next(2) == 0 ? 1f : -1f };
            var got = SameBits(backend, x, t, signed, offset, n, k, "MXFP4 at its extremes");
            // Row 0 (all +12) against token 0 (all +127) is the largest sum: 96 · 12 · 127 times the scales.
            Assert.True(got[0] > 0);
        }
        GC.KeepAlive(storage);
    }

    /// <summary>The MXFP4 kernel reads each block's exponent byte as the scale's F32 exponent field, which holds only
    /// for normal floats: a weight with a subnormal scale (e &lt; 2) keeps F32 scales and the generic tile, and gives the
    /// same bits as the signed layout and values as the oracle.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public unsafe void Mxfp4WithASubnormalScaleKeepsF32Scales(byte exponent)
    {
        var r = new Random(31 + exponent);
        using var backend = new CpuBackend(2, SimdPaths.Isa(256, true));
        const int n = 13, k = 96;
        var (w, storage) = TestData.MakeWeight(r, GgmlType.MXFP4, n, k);
        using (var normal = PackedTableWeight.Pack(w, signed: false))
            Assert.Equal(Mxfp4Decode.Serves, normal.UsesMxfp4Kernel);
        storage[5 * (k / 32 * 17) + 2 * 17] = exponent; // row 5, block 2
        using var offset = PackedTableWeight.Pack(w, signed: false);
        Assert.False(offset.UsesMxfp4Kernel);
        using var signed = PackedTableWeight.Pack(w, signed: true);
        AssertSameBits(backend, r, offset, signed, n, k, $"MXFP4 with e = {exponent}");
        const int t = 3;
        var x = TestData.Floats(r, t * k, 3f);
        using var xt = TestData.Tensor(x, t, k);
        using var yt = new CpuTensor(t, n);
        backend.MatMul(xt, offset, yt, t);
        MatMulTests.AssertMatchesOracle(GgmlType.MXFP4, storage, n, k, t, x, TestData.Read(yt, t), xs => MatMulTests.RuntimeQ8_0(xs), "MXFP4 with a subnormal scale");
        GC.KeepAlive(storage);
    }

    /// <summary>A Q8_0 value of −128 (which ggml's quantizer never writes, but a file may hold) cannot take the sign
    /// trick on the weight side: such a matrix keeps the offset layout, and still matches the oracle.</summary>
    [Fact]
    public unsafe void AMinus128KeepsTheOffsetLayout()
    {
        var r = new Random(5);
        using var backend = new CpuBackend(2, SimdPaths.Isa(256, true));
        const int n = 13, k = 64, t = 5;
        var (w, storage) = TestData.MakeWeight(r, GgmlType.Q8_0, n, k);
        storage[QuantBlocksOffset(row: 6, block: 1, column: 9)] = 0x80;
        using var packed = PackedQ8_0Weight.Pack(w, preferSigned: true);
        Assert.False(packed.Signed);
        var x = TestData.Floats(r, t * k, 3f);
        using var xt = TestData.Tensor(x, t, k);
        using var yt = new CpuTensor(t, n);
        backend.MatMul(xt, packed, yt, t);
        MatMulTests.AssertMatchesOracle(GgmlType.Q8_0, storage, n, k, t, x, TestData.Read(yt, t), xs => MatMulTests.RuntimeQ8_0(xs), "Q8_0 with −128");
        GC.KeepAlive(storage);

        static int QuantBlocksOffset(int row, int block, int column) => row * (k / 32 * 34) + block * 34 + 2 + column;
    }

    /// <summary>Embedding lookups read rows back from the packed copy: the signed layout restores the file's bytes too.</summary>
    [Fact]
    public unsafe void SignedLayoutRestoresTheFilesBytes()
    {
        var r = new Random(8);
        var (w, storage) = TestData.MakeWeight(r, GgmlType.Q8_0, 11, 96);
        using var packed = PackedQ8_0Weight.Pack(w, preferSigned: true);
        Assert.True(packed.Signed && packed.RestoresRows);
        var row = new byte[w.RowBytes];
        for (int i = 0; i < w.Rows; i++)
            fixed (byte* d = row)
            {
                packed.RestoreRow(i, d);
                Assert.Equal(new ReadOnlySpan<byte>(w.Row(i), (int)w.RowBytes).ToArray(), row);
            }
        GC.KeepAlive(storage);
    }

    private static void AssertSameBits(CpuBackend backend, Random r, Weight a, Weight b, int n, int k, string what)
    {
        foreach (int t in TokenCounts) SameBits(backend, TestData.Floats(r, t * k, 3f), t, a, b, n, k, what);
    }

    /// <summary>x (t × k) through both weights: every output of <paramref name="b"/> must have
    /// <paramref name="a"/>'s bits. Returns b's outputs.</summary>
    internal static float[] SameBits(CpuBackend backend, float[] x, int t, Weight a, Weight b, int n, int k, string what)
    {
        using var xt = TestData.Tensor(x, t, k);
        using var ya = new CpuTensor(t, n);
        using var yb = new CpuTensor(t, n);
        backend.MatMul(xt, a, ya, t);
        backend.MatMul(xt, b, yb, t);
        var expected = TestData.Read(ya, t);
        var got = TestData.Read(yb, t);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(got[i]),
                $"{what} t={t} [{i / n}, {i % n}]: {got[i]} vs {expected[i]}");
        return got;
    }
}
