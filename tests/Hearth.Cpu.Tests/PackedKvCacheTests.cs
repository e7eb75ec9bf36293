using Hearth.Core.Gguf;
using Hearth.Core.Quants;
using Hearth.Core.Tensors;
using Hearth.Cpu;

namespace Hearth.Cpu.Tests;

/// <summary>The F16 / Q8_0 / Q4_0 KV cache: WriteKv rounds each row exactly as ggml's reference quantizer does, and paged
/// attention over it equals double-precision attention over the dequantised rows (the cache's own values), at every
/// SIMD rung, across several 64-position tiles, with a sliding window, softcapping, sinks and ALiBi.</summary>
public sealed class PackedKvCacheTests
{
    public static IEnumerable<object[]> Cases()
    {
        foreach (var path in SimdPaths.All())
            foreach (var type in new[] { KvCacheType.F16, KvCacheType.Q8_0, KvCacheType.Q4_0 })
                foreach (var (heads, kvHeads, hd) in new[] { (8, 2, 64), (2, 2, 128), (4, 4, 32) })
                    yield return [path[0], path[1], type, heads, kvHeads, hd];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AttentionEqualsDenseAttentionOverTheDequantisedCache(int bits, bool vnni, KvCacheType type, int heads, int kvHeads, int hd) =>
        Check(bits, vnni, type, heads, kvHeads, hd, window: 0, softcap: 0, sinks: false, alibi: false);

    [Theory]
    [MemberData(nameof(Cases))]
    public void WithWindowSoftcapSinksAndAlibi(int bits, bool vnni, KvCacheType type, int heads, int kvHeads, int hd) =>
        Check(bits, vnni, type, heads, kvHeads, hd, window: 70, softcap: 0.7f, sinks: true, alibi: true);

    [Theory]
    [InlineData(KvCacheType.F16, 2)]
    [InlineData(KvCacheType.Q8_0, 34 / 32.0)]
    [InlineData(KvCacheType.Q4_0, 18 / 32.0)]
    public unsafe void RowsTakeTheTypesBytesAndCopyRowsMovesWholeBlocks(KvCacheType type, double bytesPerElement)
    {
        using var b = new CpuBackend(1);
        using var cache = (CpuKvTensor)b.AllocateKvCache(16, 64, type);
        Assert.Equal((long)(64 * bytesPerElement), cache.RowBytes);
        var x = TestData.Floats(new Random(5), 4 * 64);
        using var rows = TestData.Tensor(x, 4, 64);
        b.WriteKv(rows, rows, cache, cache, [0, 1, 2, 3], 4);
        b.CopyRows(cache, 0, 8, 4);
        Assert.Equal(new ReadOnlySpan<byte>(cache.Row(0), (int)(4 * cache.RowBytes)).ToArray(),
                     new ReadOnlySpan<byte>(cache.Row(8), (int)(4 * cache.RowBytes)).ToArray());
        Assert.Equal(Expected(type, x[..64]), Decode(cache, 0));
        Assert.Throws<ArgumentException>(() => b.AllocateKvCache(4, 48, KvCacheType.Q8_0)); // 48 is no multiple of 32
    }

    /// <summary>What ggml's reference quantizer then dequantizer give for a row (F16: round to half).</summary>
    private static float[] Expected(KvCacheType type, float[] row)
    {
        var bytes = new byte[KvCacheTypes.RowBytes(type, row.Length)];
        var back = new float[row.Length];
        switch (type)
        {
            case KvCacheType.F16: FloatFormats.QuantizeF16(row, bytes); FloatFormats.DequantizeF16(bytes, back); break;
            case KvCacheType.Q8_0: Q8_0.Quantize(row, bytes); Q8_0.Dequantize(bytes, back); break;
            case KvCacheType.Q4_0: Q4_0.Quantize(row, bytes); Q4_0.Dequantize(bytes, back); break;
        }
        return back;
    }

    private static unsafe float[] Decode(CpuKvTensor cache, int row)
    {
        var back = new float[cache.Columns];
        var bytes = new ReadOnlySpan<byte>(cache.Row(row), (int)cache.RowBytes);
        var type = cache.Type switch { KvCacheType.F16 => GgmlType.F16, KvCacheType.Q8_0 => GgmlType.Q8_0, _ => GgmlType.Q4_0 };
        Dequantizer.Dequantize(type, bytes, back);
        return back;
    }

    private static unsafe void Check(int bits, bool vnni, KvCacheType type, int heads, int kvHeads, int hd, int window, float softcap, bool sinks, bool alibi)
    {
        using var b = new CpuBackend(2, SimdPaths.Isa(bits, vnni));
        var r = new Random(17);
        const int blockSize = 16, blocks = 24;
        int width = kvHeads * hd;
        using var kc = (CpuKvTensor)b.AllocateKvCache(blocks * blockSize, width, type);
        using var vc = (CpuKvTensor)b.AllocateKvCache(blocks * blockSize, width, type);
        // Two sequences with scattered block tables: A has 150 positions (three tiles), B has 40.
        int[][] tables = [[5, 0, 9, 23, 1, 14, 7, 3, 20, 11], [2, 19, 12]];
        int[] lengths = [150, 40];
        var keys = new float[2][]; var values = new float[2][];
        for (int s = 0; s < 2; s++)
        {
            var k = TestData.Floats(r, lengths[s] * width);
            var v = TestData.Floats(r, lengths[s] * width);
            using var kt = TestData.Tensor(k, lengths[s], width);
            using var vt = TestData.Tensor(v, lengths[s], width);
            var slots = Enumerable.Range(0, lengths[s]).Select(p => tables[s][p / blockSize] * blockSize + p % blockSize).ToArray();
            b.WriteKv(kt, vt, kc, vc, slots, lengths[s]);
            // The oracle reads what the cache holds, and that must be ggml's rounding of what was written.
            keys[s] = new float[k.Length]; values[s] = new float[v.Length];
            for (int p = 0; p < lengths[s]; p++)
            {
                var kr = Decode(kc, slots[p]);
                Assert.Equal(Expected(type, k[(p * width)..((p + 1) * width)]), kr);
                kr.CopyTo(keys[s], p * width);
                Decode(vc, slots[p]).CopyTo(values[s], p * width);
            }
        }
        int[] tokenSeq = [0, 0, 0, 1, 1], pos = [0, 63, 149, 5, 39];
        int tokens = pos.Length;
        var q = TestData.Floats(r, tokens * heads * hd);
        using var qt = TestData.Tensor(q, tokens, heads * hd);
        using var ot = new CpuTensor(tokens, heads * hd);
        float scale = 1 / MathF.Sqrt(hd);
        var sinkValues = Enumerable.Range(0, heads).Select(h => 0.3f * h - 0.5f).ToArray();
        var slopes = alibi ? AttentionParameters.AlibiSlopesFor(heads, 8f) : null;
        int[] queryPositions = [0, 60, 149, 7, 20]; // ALiBi measures from these
        fixed (float* sp = sinkValues)
        {
            var sinkWeight = sinks ? new Weight("sinks", GgmlType.F32, 1, heads, (byte*)sp) : null;
            var ap = new AttentionParameters(heads, kvHeads, hd, scale, blockSize, window, softcap, sinkWeight, slopes)
                { Batch = new AttentionBatch(pos, tokenSeq, tables, queryPositions) };
            b.PagedAttention(qt, kc, vc, ot, ap, tokens);
        }
        AttentionOracle.AssertMatches(TestData.Read(ot, tokens), q, keys, values, tokenSeq, pos, queryPositions,
            new(heads, kvHeads, hd, scale, window, softcap, sinks ? sinkValues : null, slopes), 2e-5);
    }
}
