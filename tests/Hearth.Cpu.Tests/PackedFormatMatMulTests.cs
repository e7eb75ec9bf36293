using Hearth.Core.Gguf;
using Hearth.Core.Quants;
using Hearth.Core.Tensors;
using System.Runtime.Intrinsics.X86;
using Hearth.Cpu.Packed;

namespace Hearth.Cpu.Tests;

/// <summary>Matmul for the formats added after the first wave (Q4_1, Q5_1, Q2_K, Q3_K, Q5_K, IQ4_NL, IQ4_XS, MXFP4), on
/// every SIMD rung, packed and unpacked, against the oracle of <see cref="MatMulTests"/>: Core's exact dequantizer
/// with the activation as the kernel sees it (Q8_K for the packed K-quants, Q8_0 for the other packed formats, F32 on
/// the unpacked dequantize-then-dot path), products summed in double.</summary>
public sealed class PackedFormatMatMulTests
{
    private static readonly GgmlType[] Types =
        [GgmlType.Q4_1, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q5_K, GgmlType.IQ4_NL, GgmlType.IQ4_XS, GgmlType.MXFP4];

    public static IEnumerable<object[]> Cases() => SimdPaths.With(Types);

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesDequantizedOracle(int bits, bool vnni, GgmlType type)
    {
        // Without AVX-VNNI in the machine, the packed path still runs, with the instruction emulated.
        var r = new Random(4321 + (int)type);
        GgmlTypeInfo.TryGetBlock(type, out int block, out int _);
        using var backend = new CpuBackend(2, SimdPaths.Isa(bits, vnni));
        int[] ks = block == 32 ? [32, 96, 288] : [256, 512];
        foreach (int k in ks)
            foreach (int t in new[] { 1, 4, 5, 9 })
            foreach (int n in new[] { 13, 40 })
            foreach (bool adopt in new[] { false, true })
            {
                var (plain, storage) = TestData.MakeWeight(r, type, n, k);
                var w = adopt ? backend.AdoptWeight(plain) : plain;
                if (adopt) Assert.IsAssignableFrom<PackedWeight>(w);
                bool packed = w is PackedWeight && vnni && bits >= 256;
                var x = TestData.Floats(r, t * k, 3f);
                using var xt = TestData.Tensor(x, t, k);
                using var yt = new CpuTensor(t, n);
                backend.MatMul(xt, w, yt, t);
                var y = TestData.Read(yt, t);

                Func<float[], float[]> view = !packed ? xs => xs
                    : type is GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q5_K ? xs => MatMulTests.VecDotView(GgmlType.Q4_K, xs)
                    : xs => MatMulTests.RuntimeQ8_0(xs);
                MatMulTests.AssertMatchesOracle(type, storage, n, k, t, x, y, view, $"{type} ({w.GetType().Name}) bits={bits} vnni={vnni}");
                GC.KeepAlive(storage);
            }
    }

    /// <summary>The K-quant kernels add several steps of products in int16 before widening (Q5_K four steps of 5-bit
    /// values, Q3_K and Q2_K a 16-column block of 3- and 2-bit ones, Q3_K's scales signed): at the extremes (every value at its top or
    /// bottom, scales at both ends, activations ±127 after quantization) the sums must still match the oracle.</summary>
    [Theory]
    [InlineData(GgmlType.Q5_K)]
    [InlineData(GgmlType.Q3_K)]
    [InlineData(GgmlType.Q2_K)]
    public unsafe void KQuantsAtTheirExtremesMatchTheOracle(GgmlType type)
    {
        const int n = 11, k = 512, t = 3;
        int blockBytes = type switch { GgmlType.Q5_K => 176, GgmlType.Q3_K => 110, _ => 84 };
        long rowBytes = GgmlTypeInfo.RowBytes(type, k);
        var storage = GC.AllocateArray<byte>((int)(rowBytes * n) + 64, pinned: true);
        for (int row = 0; row < n; row++)
            for (int sb = 0; sb < k / 256; sb++)
            {
                var blk = storage.AsSpan((int)(row * rowBytes) + sb * blockBytes, blockBytes);
                // All ones: Q5_K values 31 with scales and mins 63; Q3_K values +3 with scale +31; Q2_K values 3 with
                // scales and mins 15. All zeros (odd rows of Q3_K): values −4 with scale −32.
                blk.Fill(type == GgmlType.Q3_K && row % 2 == 1 ? (byte)0 : (byte)0xFF);
                if (type == GgmlType.Q5_K)
                {
                    BitConverter.TryWriteBytes(blk, (Half)0.01f);
                    BitConverter.TryWriteBytes(blk[2..], (Half)(row % 2 == 0 ? 0f : 0.001f));
                }
                else if (type == GgmlType.Q3_K) BitConverter.TryWriteBytes(blk[108..], (Half)0.01f);
                else
                {
                    BitConverter.TryWriteBytes(blk[80..], (Half)0.01f);
                    BitConverter.TryWriteBytes(blk[82..], (Half)(row % 2 == 0 ? 0f : 0.001f));
                }
            }
        Weight w;
        fixed (byte* p = storage) w = new Weight("extremes", type, n, k, p);
        using var backend = new CpuBackend(2);
        var packed = backend.AdoptWeight(w);
        Assert.IsType(type == GgmlType.Q5_K ? typeof(PackedKQuantWeight) : typeof(PackedLowBitKWeight), packed);
        var x = new float[t * k];
        for (int i = 0; i < k; i++) { x[i] = 1f; x[k + i] = -1f; x[2 * k + i] = i % 2 == 0 ? 1f : -1f; }
        using var xt = TestData.Tensor(x, t, k);
        using var yt = new CpuTensor(t, n);
        backend.MatMul(xt, packed, yt, t);
        MatMulTests.AssertMatchesOracle(type, storage, n, k, t, x, TestData.Read(yt, t), xs => MatMulTests.VecDotView(GgmlType.Q4_K, xs), $"{type} at its extremes");
        GC.KeepAlive(storage);
    }

    [Fact]
    public unsafe void EmbeddingRowsAreTheExactDequantization()
    {
        using var backend = new CpuBackend(1);
        foreach (var type in Types)
        {
            var r = new Random(99 + (int)type);
            var (w, storage) = TestData.MakeWeight(r, type, 5, 256);
            using var dst = new CpuTensor(2, 256);
            backend.Embed(w, [3, 1], dst);
            var got = TestData.Read(dst, 2);
            var all = new float[5 * 256];
            Dequantizer.Dequantize(type, storage.AsSpan(0, (int)GgmlTypeInfo.RowBytes(type, 256) * 5), all);
            Assert.Equal(all.AsSpan(3 * 256, 256).ToArray(), got[..256]);
            Assert.Equal(all.AsSpan(1 * 256, 256).ToArray(), got[256..]);
            GC.KeepAlive(storage);
        }
    }
}
