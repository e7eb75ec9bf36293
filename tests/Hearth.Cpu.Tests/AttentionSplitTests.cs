using Hearth.Core.Gguf;
using Hearth.Core.Quants;
using Hearth.Core.Tensors;
using Hearth.Cpu;
using Hearth.Cpu.Kernels;

namespace Hearth.Cpu.Tests;

/// <summary>Flash-decoding: a call with too few (token, KV head) chunks for the threads splits each long row over the
/// sequence, and the combined parts equal double-precision attention over what the cache holds, for the F32 cache and
/// the packed ones, at every SIMD rung, with a sliding window, softcapping, sinks and ALiBi.</summary>
public sealed class AttentionSplitTests
{
    public static IEnumerable<object[]> Cases()
    {
        foreach (var path in SimdPaths.All())
            foreach (var type in new[] { KvCacheType.F32, KvCacheType.F16, KvCacheType.Q8_0 })
                foreach (var (heads, kvHeads, hd) in new[] { (4, 1, 64), (6, 3, 32), (2, 1, 128) })
                    yield return [path[0], path[1], type, heads, kvHeads, hd];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SplitRowsEqualDenseAttention(int bits, bool vnni, KvCacheType type, int heads, int kvHeads, int hd) =>
        Check(bits, vnni, type, heads, kvHeads, hd, window: 0, softcap: 0, sinks: false, alibi: false);

    [Theory]
    [MemberData(nameof(Cases))]
    public void SplitRowsWithWindowSoftcapSinksAndAlibi(int bits, bool vnni, KvCacheType type, int heads, int kvHeads, int hd) =>
        Check(bits, vnni, type, heads, kvHeads, hd, window: 900, softcap: 0.7f, sinks: true, alibi: true);

    [Fact]
    public void PlanSplitsOnlyLongRowsOfCallsWithFewChunks()
    {
        using var split = new AttentionSplit();
        // One token at position 1099 (1,100 visible) on one KV head, 2 threads: 8 items wanted, 1,100 / 256 = 4 parts.
        var a = new AttentionParameters(4, 1, 64, 1, 16) { Batch = new AttentionBatch([1099, 100], [0, 1], [[], []]) };
        split.Plan(a, 1, 2);
        Assert.True(split.Active);
        Assert.Equal(4, split.Items);
        // Two tokens: the short one is not split (1 item), the long one is (4 parts).
        split.Plan(a, 2, 2);
        Assert.Equal(5, split.Items);
        split.Locate(4, out int token, out int kvHead, out int part, out int parts);
        Assert.Equal((1, 0, 0, 1), (token, kvHead, part, parts));
        // Eight KV heads already give 8 chunks for 2 threads: nothing to split. One thread: never.
        split.Plan(a with { HeadCount = 8, KvHeadCount = 8 }, 1, 2);
        Assert.False(split.Active);
        split.Plan(a, 1, 1);
        Assert.False(split.Active);
        // A sliding window bounds the visible positions: 300 visible is one part.
        split.Plan(a with { SlidingWindow = 300 }, 1, 2);
        Assert.False(split.Active);
    }

    private static unsafe void Check(int bits, bool vnni, KvCacheType type, int heads, int kvHeads, int hd, int window, float softcap, bool sinks, bool alibi)
    {
        using var b = new CpuBackend(2, SimdPaths.Isa(bits, vnni));
        var r = new Random(23);
        const int blockSize = 16;
        int width = kvHeads * hd;
        // Two sequences: A with 1,100 positions, B with 700, their blocks interleaved in the cache.
        int[] lengths = [1100, 700];
        int blocks = lengths.Sum(l => (l + blockSize - 1) / blockSize);
        var order = Enumerable.Range(0, blocks).OrderBy(_ => r.Next()).ToArray();
        int[][] tables = [order[..69], order[69..]];
        using var kc = b.AllocateKvCache(blocks * blockSize, width, type);
        using var vc = b.AllocateKvCache(blocks * blockSize, width, type);
        var keys = new float[2][]; var values = new float[2][];
        for (int s = 0; s < 2; s++)
        {
            var k = TestData.Floats(r, lengths[s] * width);
            var v = TestData.Floats(r, lengths[s] * width);
            using var kt = TestData.Tensor(k, lengths[s], width);
            using var vt = TestData.Tensor(v, lengths[s], width);
            var slots = Enumerable.Range(0, lengths[s]).Select(p => tables[s][p / blockSize] * blockSize + p % blockSize).ToArray();
            b.WriteKv(kt, vt, kc, vc, slots, lengths[s]);
            keys[s] = Stored(type, k, width);
            values[s] = Stored(type, v, width);
        }
        // Decode steps: A alone, then A and B together (still fewer chunks than 4 per thread for kvHeads < 4).
        foreach (var (tokenSeq, pos, queryPositions) in new (int[], int[], int[])[] { ([0], [1099], [1099]), ([0, 1], [1099, 699], [1000, 699]) })
        {
            int tokens = pos.Length;
            var q = TestData.Floats(r, tokens * heads * hd);
            using var qt = TestData.Tensor(q, tokens, heads * hd);
            using var ot = new CpuTensor(tokens, heads * hd);
            float scale = 1 / MathF.Sqrt(hd);
            var sinkValues = Enumerable.Range(0, heads).Select(h => 0.3f * h + 1.5f).ToArray();
            var slopes = alibi ? AttentionParameters.AlibiSlopesFor(heads, 0.01f) : null;
            fixed (float* sp = sinkValues)
            {
                var sinkWeight = sinks ? new Weight("sinks", GgmlType.F32, 1, heads, (byte*)sp) : null;
                var ap = new AttentionParameters(heads, kvHeads, hd, scale, blockSize, window, softcap, sinkWeight, slopes)
                    { Batch = new AttentionBatch(pos, tokenSeq, tables, queryPositions) };
                b.PagedAttention(qt, kc, vc, ot, ap, tokens);
            }
            AttentionOracle.AssertMatches(TestData.Read(ot, tokens), q, keys, values, tokenSeq, pos, queryPositions,
                new(heads, kvHeads, hd, scale, window, softcap, sinks ? sinkValues : null, slopes), 1e-5);
        }
    }

    /// <summary>What the cache holds for rows written as <paramref name="x"/>: the rows themselves (F32) or ggml's
    /// rounding of each row.</summary>
    private static float[] Stored(KvCacheType type, float[] x, int width)
    {
        if (type == KvCacheType.F32) return x;
        var back = new float[x.Length];
        var bytes = new byte[KvCacheTypes.RowBytes(type, width)];
        for (int row = 0; row < x.Length / width; row++)
        {
            var src = x.AsSpan(row * width, width);
            var dst = back.AsSpan(row * width, width);
            if (type == KvCacheType.F16) { FloatFormats.QuantizeF16(src, bytes); FloatFormats.DequantizeF16(bytes, dst); }
            else { Q8_0.Quantize(src, bytes); Q8_0.Dequantize(bytes, dst); }
        }
        return back;
    }
}
