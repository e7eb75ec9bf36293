using Hearth.Core.Gguf;
using Hearth.Core.Tensors;

namespace Hearth.Gpu.Tests;

/// <summary>Rope in every variant the CPU backend has (YaRN and the attention factor included), KV writes through the slot
/// mapping, and paged attention (decode tokens split over the sequence, prefill runs in tiles, both in one batch, GQA;
/// sliding windows, softcapping, sinks and ALiBi) against the CPU backend.</summary>
[Collection("gpu")]
public sealed class RopeAndAttentionTests
{
    [Theory]
    [InlineData(false, 8, 8, false, 1f)]
    [InlineData(true, 8, 8, false, 1f)]
    [InlineData(false, 16, 8, true, 1f)]   // partial rotation, Llama 3 frequency factors
    [InlineData(true, 16, 12, true, 0.25f)] // NeoX, partial, factors, linear scaling
    public void RopeMatchesTheCpu(bool neox, int headDim, int dims, bool factors, float scale)
    {
        var twin = SharedTwins.Nvidia;
        var r = new Random(7);
        const int heads = 3, rows = 4;
        var x = twin.Tensor(Twin.Floats(r, rows * heads * headDim), rows, heads * headDim);
        (Weight Cpu, Weight Gpu)? ff = factors ? twin.Weight(r, GgmlType.F32, 1, dims / 2) : null;
        int[] positions = [0, 1, 7, 300];
        var ropeCpu = new RopeParameters(dims, 10000f, scale, neox, ff?.Cpu);
        var ropeGpu = ropeCpu with { FrequencyFactors = ff?.Gpu };
        twin.Cpu.Rope(x.Cpu, rows, headDim, positions, ropeCpu);
        twin.Gpu.Rope(x.Gpu, rows, headDim, positions, ropeGpu);
        twin.AssertClose(x, rows, 2e-5);
    }

    [Theory]
    [InlineData(1f, 0f, 0f)]     // attention factor alone (LongRoPE's scaling of cos and sin)
    [InlineData(1f, 32f, 4096f)] // gpt-oss: YaRN ×32 from 4096
    [InlineData(0.8f, 4f, 64f)]  // YaRN with an attention factor, a short original context (wide ramp)
    public void YarnAndAttentionFactorMatchTheCpu(float attentionFactor, float yarnFactor, float originalContext)
    {
        var twin = SharedTwins.Nvidia;
        var r = new Random(8);
        const int heads = 2, rows = 4, headDim = 32;
        var x = twin.Tensor(Twin.Floats(r, rows * heads * headDim), rows, heads * headDim);
        int[] positions = [0, 3, 90, 5000];
        var rope = new RopeParameters(headDim, 150000f, yarnFactor > 0 ? 1f / yarnFactor : 1f, true, null, attentionFactor,
            yarnFactor > 0 ? new YarnParameters(1f, (int)originalContext, 32f, 1f) : null);
        twin.Cpu.Rope(x.Cpu, rows, headDim, positions, rope);
        twin.Gpu.Rope(x.Gpu, rows, headDim, positions, rope);
        twin.AssertClose(x, rows, 2e-5);
    }

    [Theory]
    [InlineData(4, 2, 20, 0, 0f, false, false)]  // odd head size, GQA 2
    [InlineData(8, 2, 64, 0, 0f, false, false)]  // Llama-3.2-1B's group of 4
    [InlineData(4, 2, 16, 5, 0f, false, false)]  // sliding window shorter than a split and a tile's span
    [InlineData(4, 2, 16, 0, 1.5f, true, false)] // Gemma 2's softcap, gpt-oss's sinks
    [InlineData(4, 2, 16, 6, 0f, true, false)]   // gpt-oss's sliding layers: window and sinks
    [InlineData(4, 4, 16, 0, 0f, false, true)]   // jina-bert-v2's ALiBi
    public void PagedAttentionOverAMixedBatchMatchesTheCpu(int heads, int kvHeads, int hd, int window, float softcap, bool sinks, bool alibi)
    {
        var twin = SharedTwins.Nvidia;
        var r = new Random(11 + hd);
        const int blockSize = 4, blocks = 16;
        int kvDim = kvHeads * hd, qDim = heads * hd;
        var kc = twin.Zeros(blocks * blockSize, kvDim);
        var vc = twin.Zeros(blocks * blockSize, kvDim);
        // Sequence A: 19 cached positions (decode token at 19: three splits of 8). Sequence B: a prefill chunk of 7 tokens
        // at positions 3..9 (two tiles of 4 and 3). Sequence C: decode at 0. Scattered block tables.
        int[][] tables = [[5, 0, 9, 14, 2], [3, 11, 7], [12]];
        int[] lengths = [20, 10, 1];
        for (int s = 0; s < tables.Length; s++)
        {
            int n = lengths[s];
            var k = twin.Tensor(Twin.Floats(r, n * kvDim), n, kvDim);
            var v = twin.Tensor(Twin.Floats(r, n * kvDim), n, kvDim);
            var slots = Enumerable.Range(0, n).Select(p => tables[s][p / blockSize] * blockSize + p % blockSize).ToArray();
            twin.Cpu.WriteKv(k.Cpu, v.Cpu, kc.Cpu, vc.Cpu, slots, n);
            twin.Gpu.WriteKv(k.Gpu, v.Gpu, kc.Gpu, vc.Gpu, slots, n);
        }
        // Sequence A's first two blocks lie before a window of 5 at position 19: released (-1), as the engine does.
        if (window > 0) tables[0][0] = tables[0][1] = -1;
        twin.AssertClose(kc, blocks * blockSize, 0, "K cache");
        twin.AssertClose(vc, blocks * blockSize, 0, "V cache");

        int[] positions = [19, 3, 4, 5, 6, 7, 8, 9, 0];
        int[] tokenSequence = [0, 1, 1, 1, 1, 1, 1, 1, 2];
        int rows = positions.Length;
        var q = twin.Tensor(Twin.Floats(r, rows * qDim), rows, qDim);
        var o = twin.Zeros(rows, qDim);
        (Weight Cpu, Weight Gpu)? sinkWeight = sinks ? twin.Weight(r, GgmlType.F32, 1, heads, 2f) : null;
        // ALiBi: queries at positions other than their extent (an encoder's tokens see the whole sequence).
        int[]? queryPositions = alibi ? [7, 0, 9, 2, 4, 3, 8, 1, 0] : null;
        var a = new AttentionParameters(heads, kvHeads, hd, 1f / MathF.Sqrt(hd), blockSize, window, softcap, sinkWeight?.Cpu,
            alibi ? AttentionParameters.AlibiSlopesFor(heads, 8f) : null)
        {
            Batch = new AttentionBatch(positions, tokenSequence, tables, queryPositions),
        };
        twin.Cpu.PagedAttention(q.Cpu, kc.Cpu, vc.Cpu, o.Cpu, a, rows);
        twin.Gpu.PagedAttention(q.Gpu, kc.Gpu, vc.Gpu, o.Gpu, a with { Sinks = sinkWeight?.Gpu }, rows);
        twin.AssertClose(o, rows, 1e-5, "attention");
    }

    [Fact]
    public void BadAddressesAreRefusedOnTheHost()
    {
        var twin = SharedTwins.Nvidia;
        var kc = twin.Zeros(8, 4);
        var k = twin.Zeros(1, 4);
        Assert.Throws<ArgumentOutOfRangeException>(() => twin.Gpu.WriteKv(k.Gpu, k.Gpu, kc.Gpu, kc.Gpu, [8], 1));
        var q = twin.Zeros(1, 4);
        var a = new AttentionParameters(1, 1, 4, 0.5f, 4) { Batch = new AttentionBatch([5], [0], [[0]]) };
        Assert.Throws<InvalidOperationException>(() => twin.Gpu.PagedAttention(q.Gpu, kc.Gpu, kc.Gpu, q.Gpu, a, 1));
        a = a with { Batch = new AttentionBatch([5], [0], [[0, 2]]) };
        Assert.Throws<ArgumentOutOfRangeException>(() => twin.Gpu.PagedAttention(q.Gpu, kc.Gpu, kc.Gpu, q.Gpu, a, 1));
    }
}
