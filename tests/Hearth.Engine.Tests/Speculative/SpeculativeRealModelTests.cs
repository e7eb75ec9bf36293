using Hearth.Core.Gguf;
using Hearth.Core.Tokenizers;
using Hearth.Cpu;
using Hearth.Engine.Models;
using Hearth.Tests;
using static Hearth.Engine.Tests.Engine.EngineHarness;

namespace Hearth.Engine.Tests.Speculative;

/// <summary>Speculative decoding on the real Llama models: greedy output with prompt lookup and with a draft model
/// (the same GGUF loaded twice, so each has its own KV cache) is token-identical to the output without speculation,
/// for sixteen prompts each alone and all together in a KV pool small enough to force preemption, with chunked
/// prefill and prefix caching; with the draft equal to the target every greedy draft is accepted.</summary>
public class SpeculativeRealModelTests
{
    // The prompts of RealModelEngineTests: no near tie on their greedy paths, where batched and single-row numerics
    // could pick differently.
    private static readonly string[] Texts = Hearth.Engine.Tests.Engine.RealModelEngineTests.Texts;

    [Theory]
    [InlineData(SpeculativeMethod.Ngram)]
    [InlineData(SpeculativeMethod.Draft)]
    public void EmbeddedModelGreedyOutputIsUnchanged(SpeculativeMethod method) => Check(TestPaths.EmbeddedModel, method);

    [SharedTheory]
    [InlineData(SpeculativeMethod.Ngram)]
    [InlineData(SpeculativeMethod.Draft)]
    public void Stories260KGreedyOutputIsUnchanged(SpeculativeMethod method) =>
        Check(TestPaths.SharedFile("models", "stories260K-f32.gguf")!, method);

    private static void Check(string path, SpeculativeMethod method)
    {
        using var gguf = GgufFile.Open(path);
        using var backend = new CpuBackend(1);
        using var model = DecoderModel.Load(gguf, backend);
        using var draft = DecoderModel.Load(gguf, backend);
        var tokenizer = TokenizerFactory.FromGguf(gguf);
        var requests = Texts.Select((t, i) => new GenerationRequest($"r{i}", tokenizer.Encode(t, addSpecial: true, parseSpecial: false),
            new SamplingParams { Temperature = 0, MaxTokens = 24, IgnoreEos = true })).ToArray();

        var plain = Untimed(model, tokenizer, new EngineOptions { NumKvBlocks = 64, BlockSize = 16, EnablePrefixCaching = false });
        var expected = requests.Select(r =>
        {
            long key = plain.AddRequest(r);
            return RunAll(plain)[key][0];
        }).ToArray();

        var spec = new EngineOptions
        {
            SpeculativeMethod = method, NumSpeculativeTokens = 4, SpeculativeMaxBatchSize = 64, SpeculativeMinAcceptance = 0,
        };
        // Alone: each request on its own.
        var alone = Untimed(model, tokenizer, spec with { NumKvBlocks = 64, BlockSize = 16 }, draft);
        for (int i = 0; i < requests.Length; i++)
        {
            long key = alone.AddRequest(requests[i]);
            var got = RunAll(alone)[key][0];
            Assert.Equal(expected[i].Tokens, got.Tokens);
            Assert.Equal(expected[i].Text, got.Text);
        }
        var soloStats = alone.GetStats().Speculative!;
        Assert.True(soloStats.AcceptedTokens > 0, soloStats.ToString());
        if (method == SpeculativeMethod.Draft) Assert.Equal(soloStats.DraftTokens, soloStats.AcceptedTokens);

        // Together: 24 blocks of 4 tokens cannot hold 16 sequences of ~30 tokens, so some are preempted; a step budget
        // of 24 tokens chunks the prompts next to verification steps; prefix caching shares "Once upon a time".
        var together = Untimed(model, tokenizer, spec with { NumKvBlocks = 24, BlockSize = 4, MaxNumBatchedTokens = 24 }, draft);
        var keys = requests.Select(together.AddRequest).ToArray();
        var results = RunAll(together);
        var stats = together.GetStats();
        Assert.True(stats.PreemptionsTotal > 0);
        Assert.True(stats.PrefixCacheHits > 0);
        Assert.True(stats.Speculative!.AcceptedTokens > 0);
        Assert.Equal(0, stats.UsedKvBlocks);
        for (int i = 0; i < requests.Length; i++)
        {
            Assert.Equal(expected[i].Tokens, results[keys[i]][0].Tokens);
            Assert.Equal(expected[i].Text, results[keys[i]][0].Text);
        }
    }
}
