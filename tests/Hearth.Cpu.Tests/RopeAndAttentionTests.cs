using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Cpu;

namespace Hearth.Cpu.Tests;

/// <summary>Rope (normal, NeoX, frequency factors, partial rotation, linear scaling) and paged attention against
/// straightforward double-precision formulas.</summary>
public sealed class RopeAndAttentionTests
{
    public static IEnumerable<object[]> Paths() => SimdPaths.All();

    [Theory]
    [InlineData(false, 8, 8, false, 1f)]
    [InlineData(true, 8, 8, false, 1f)]
    [InlineData(false, 16, 8, true, 1f)]
    [InlineData(true, 16, 12, true, 0.25f)]
    public unsafe void RopeRotatesPairs(bool neox, int headDim, int dims, bool factors, float scale)
    {
        using var b = new CpuBackend(1);
        var r = new Random(3);
        const int heads = 3, rows = 4;
        var x = TestData.Floats(r, rows * heads * headDim);
        var ff = Enumerable.Range(0, dims / 2).Select(i => 1f + i * 0.5f).ToArray();
        int[] positions = [0, 1, 7, 300];
        fixed (float* ffp = ff)
        {
            var rope = new RopeParameters(dims, 10000f, scale, neox, factors ? new Weight("rope_freqs", GgmlType.F32, 1, dims / 2, (byte*)ffp) : null);
            using var t = TestData.Tensor(x, rows, heads * headDim);
            b.Rope(t, rows, headDim, positions, rope);
            var y = TestData.Read(t, rows);
            for (int row = 0; row < rows; row++)
                for (int h = 0; h < heads; h++)
                {
                    int o = (row * heads + h) * headDim;
                    var expected = x.AsSpan(o, headDim).ToArray();
                    for (int i = 0; i < dims / 2; i++)
                    {
                        double theta = scale * positions[row] * Math.Pow(10000, -2.0 * i / dims) / (factors ? ff[i] : 1);
                        int a = neox ? i : 2 * i, c = neox ? i + dims / 2 : 2 * i + 1;
                        expected[a] = (float)(x[o + a] * Math.Cos(theta) - x[o + c] * Math.Sin(theta));
                        expected[c] = (float)(x[o + a] * Math.Sin(theta) + x[o + c] * Math.Cos(theta));
                    }
                    for (int i = 0; i < headDim; i++)
                        Assert.True(Math.Abs(y[o + i] - expected[i]) <= 2e-4, $"row {row} head {h} dim {i}: {y[o + i]} vs {expected[i]}");
                }
        }
    }

    /// <summary>The rotations on every SIMD rung give the scalar rung's bits: NeoX and normal mode, whole heads of 64 and
    /// 128 and partial rotation (40 of 64 dims: vector and tail pairs), with frequency factors and YaRN.</summary>
    [Theory]
    [MemberData(nameof(Paths))]
    public unsafe void RopeGivesTheScalarBitsOnEveryRung(int bits, bool vnni)
    {
        using var scalar = new CpuBackend(1, SimdPaths.Isa(0, false));
        using var simd = new CpuBackend(1, SimdPaths.Isa(bits, vnni));
        var r = new Random(5);
        int[] positions = [0, 1, 17, 4095, 70000];
        foreach (bool neox in new[] { false, true })
            foreach (var (headDim, dims) in new[] { (64, 64), (128, 128), (64, 40) })
                foreach (bool yarn in new[] { false, true })
                {
                    var ff = Enumerable.Range(0, dims / 2).Select(i => 1f + i * 0.25f).ToArray();
                    var x = TestData.Floats(r, positions.Length * 5 * headDim, 3f);
                    fixed (float* ffp = ff)
                    {
                        var rope = new RopeParameters(dims, 150000f, yarn ? 1f / 32 : 1f, neox,
                            yarn ? null : new Weight("rope_freqs", GgmlType.F32, 1, dims / 2, (byte*)ffp), yarn ? 1.1f : 1f,
                            yarn ? new YarnParameters(1f, 4096, 32f, 1f) : null);
                        using var a = TestData.Tensor(x, positions.Length, 5 * headDim);
                        using var b = TestData.Tensor(x, positions.Length, 5 * headDim);
                        scalar.Rope(a, positions.Length, headDim, positions, rope);
                        simd.Rope(b, positions.Length, headDim, positions, rope);
                        var expected = TestData.Read(a, positions.Length);
                        var actual = TestData.Read(b, positions.Length);
                        for (int i = 0; i < expected.Length; i++)
                            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                                $"neox={neox} head {headDim} dims {dims} yarn={yarn} [{i}]: {actual[i]} vs {expected[i]}");
                    }
                }
    }

    /// <summary>YaRN (ggml's rope_yarn): angles blend interpolation and extrapolation over a ramp between the
    /// correction dims, magnitudes grow by 1 + 0.1·ln(1/scale), times the attention factor.</summary>
    [Fact]
    public void RopeYarnBlendsAndScales()
    {
        using var b = new CpuBackend(1);
        var r = new Random(5);
        const int headDim = 64, dims = 64, rows = 3, origCtx = 4096;
        const float scale = 0.25f, freqBase = 10000f, attnFactor = 0.9f;
        var x = TestData.Floats(r, rows * headDim);
        int[] positions = [1, 50, 3000];
        var rope = new RopeParameters(dims, freqBase, scale, true, null, attnFactor, new YarnParameters(1f, origCtx, 32f, 1f));
        using var t = TestData.Tensor(x, rows, headDim);
        b.Rope(t, rows, headDim, positions, rope);
        var y = TestData.Read(t, rows);
        double CorrDim(double rot) => dims * Math.Log(origCtx / (rot * 2 * Math.PI)) / (2 * Math.Log(freqBase));
        double low = Math.Max(0, Math.Floor(CorrDim(32))), high = Math.Min(dims - 1, Math.Ceiling(CorrDim(1)));
        double mscale = attnFactor * (1 + 0.1 * Math.Log(1 / scale));
        for (int row = 0; row < rows; row++)
            for (int i = 0; i < dims / 2; i++)
            {
                double extrap = positions[row] * Math.Pow(freqBase, -2.0 * i / dims);
                double ramp = 1 - Math.Min(1, Math.Max(0, (i - low) / Math.Max(0.001, high - low)));
                double theta = scale * extrap * (1 - ramp) + extrap * ramp;
                int a = row * headDim + i, c = a + dims / 2;
                double ea = (x[a] * Math.Cos(theta) - x[c] * Math.Sin(theta)) * mscale;
                double ec = (x[a] * Math.Sin(theta) + x[c] * Math.Cos(theta)) * mscale;
                Assert.True(Math.Abs(y[a] - ea) <= 5e-4 && Math.Abs(y[c] - ec) <= 5e-4, $"row {row} pair {i}: ({y[a]}, {y[c]}) vs ({ea}, {ec})");
            }
    }

    public static IEnumerable<object[]> AttentionShapes()
    {
        // (heads, KV heads, head size): odd head size; Llama-3.2-1B's GQA group of 4 at 64; 5 heads per KV head
        // (a group of 4 plus one); multi-head at 128.
        foreach (var path in SimdPaths.All())
            foreach (var (heads, kvHeads, hd) in new[] { (4, 2, 20), (8, 2, 64), (10, 2, 64), (2, 2, 128) })
                yield return [path[0], path[1], heads, kvHeads, hd];
    }

    [Theory]
    [MemberData(nameof(AttentionShapes))]
    public void PagedAttentionMatchesDense(int bits, bool vnni, int heads, int kvHeads, int hd) =>
        CheckAttention(bits, vnni, heads, kvHeads, hd, window: 0, softcap: 0, sinks: false);

    /// <summary>A sliding window of 3 (a token sees itself and the two before), scores softcapped at 0.7, and per-head
    /// sink logits in the softmax.</summary>
    [Theory]
    [MemberData(nameof(AttentionShapes))]
    public void PagedAttentionWithWindowSoftcapAndSinks(int bits, bool vnni, int heads, int kvHeads, int hd) =>
        CheckAttention(bits, vnni, heads, kvHeads, hd, window: 3, softcap: 0.7f, sinks: true);

    private static unsafe void CheckAttention(int bits, bool vnni, int heads, int kvHeads, int hd, int window, float softcap, bool sinks)
    {
        using var b = new CpuBackend(2, SimdPaths.Isa(bits, vnni));
        var r = new Random(11);
        const int blockSize = 4, blocks = 12;
        using var kc = new CpuTensor(blocks * blockSize, kvHeads * hd);
        using var vc = new CpuTensor(blocks * blockSize, kvHeads * hd);
        // Two sequences with scattered block tables: A has 9 positions, B has 6.
        int[][] tables = [[5, 0, 9], [2, 11]];
        int[] lengths = [9, 6];
        var keys = new float[2][]; var values = new float[2][];
        for (int s = 0; s < 2; s++)
        {
            keys[s] = TestData.Floats(r, lengths[s] * kvHeads * hd);
            values[s] = TestData.Floats(r, lengths[s] * kvHeads * hd);
            using var kt = TestData.Tensor(keys[s], lengths[s], kvHeads * hd);
            using var vt = TestData.Tensor(values[s], lengths[s], kvHeads * hd);
            var slots = Enumerable.Range(0, lengths[s]).Select(p => tables[s][p / blockSize] * blockSize + p % blockSize).ToArray();
            b.WriteKv(kt, vt, kc, vc, slots, lengths[s]);
        }
        // Tokens: A at positions 3 and 8, B at positions 0 and 5.
        int[] tokenSeq = [0, 0, 1, 1], pos = [3, 8, 0, 5];
        var q = TestData.Floats(r, 4 * heads * hd);
        using var qt = TestData.Tensor(q, 4, heads * hd);
        using var ot = new CpuTensor(4, heads * hd);
        float scale = 1 / MathF.Sqrt(hd);
        var sinkValues = Enumerable.Range(0, heads).Select(h => 0.3f * h - 0.5f).ToArray();
        fixed (float* sp = sinkValues)
        {
            var sinkWeight = sinks ? new Weight("sinks", GgmlType.F32, 1, heads, (byte*)sp) : null;
            var ap = new AttentionParameters(heads, kvHeads, hd, scale, blockSize, window, softcap, sinkWeight)
                { Batch = new AttentionBatch(pos, tokenSeq, tables) };
            b.PagedAttention(qt, kc, vc, ot, ap, 4);
        }
        AttentionOracle.AssertMatches(TestData.Read(ot, 4), q, keys, values, tokenSeq, pos, null,
            new(heads, kvHeads, hd, scale, window, softcap, sinks ? sinkValues : null), 1e-5);
    }
}
