using Hearth.Engine.Speculative;
using Hearth.Engine.Tests.Engine;
using static Hearth.Engine.Tests.Engine.EngineHarness;

namespace Hearth.Engine.Tests.Speculative;

/// <summary>Speculative decoding on the fake model (whose logits depend on every token it reads back through the
/// block tables, so a wrong rollback or slot shows up as different output or a thrown check): greedy output equals
/// the output without speculation, token for token and byte for byte, alone and in batches with chunked prefill,
/// prefix caching and preemption, with stop strings, max_tokens, penalties and logprobs; and the KV accounting is
/// exact when everything has finished.</summary>
public class SpeculativeEngineTests
{
    /// <summary>Repetitive continuations: after token t the model prefers (t * 5 + 3) mod 23 + 2 for t below 40 (a
    /// cycle prompt lookup catches), and has no preference after the others.</summary>
    private static int CycleNext(int t) => t < 40 ? (t * 5 + 3) % 23 + 2 : -1;

    private static FakeModel Model() => new() { Next = CycleNext };

    // The adaptive switch is off (minimum acceptance 0) where counts are asserted: it reads measured step times.
    private static EngineOptions Spec(EngineOptions o, SpeculativeMethod method, int k = 4) =>
        o with { SpeculativeMethod = method, NumSpeculativeTokens = k, SpeculativeMaxBatchSize = 64, SpeculativeMinAcceptance = 0 };

    private static GenerationRequest[] MixedRequests()
    {
        var list = new List<GenerationRequest>();
        for (int i = 0; i < 12; i++)
        {
            var prompt = Prompt(5 + i * 3, 100 + i);
            var sampling = new SamplingParams
            {
                Temperature = 0,
                MaxTokens = 10 + i * 4,
                IgnoreEos = true,
                Logprobs = i % 3 == 0 ? 2 : null,
                FrequencyPenalty = i % 4 == 1 ? 0.5f : 0,
                RepetitionPenalty = i % 5 == 2 ? 1.3f : 1,
                MinTokens = i % 6 == 5 ? 7 : 0,
                Stop = i % 4 == 3 ? ["k", "fa"] : [],
            };
            list.Add(new GenerationRequest($"r{i}", prompt, sampling));
        }
        return [.. list];
    }

    private static Dictionary<int, Choice> RunBatch(EngineOptions options, GenerationRequest[] requests, FakeModel? draft = null,
        Action<LlmEngine>? check = null)
    {
        var engine = Untimed(Model(), new FakeTokenizer(), options, draft);
        var keys = requests.Select(engine.AddRequest).ToArray();
        var all = RunAll(engine, _ => check?.Invoke(engine));
        Assert.Equal(0, engine.GetStats().UsedKvBlocks);
        return keys.Select((k, i) => (k, i)).ToDictionary(p => p.i, p => all[p.k][0]);
    }

    [Theory]
    [InlineData(SpeculativeMethod.Ngram)]
    [InlineData(SpeculativeMethod.Draft)]
    public void GreedyOutputsEqualThoseWithoutSpeculationInABatchWithPreemption(SpeculativeMethod method)
    {
        var requests = MixedRequests();
        // Alone and roomy, without speculation: the reference.
        var reference = requests.Select(r => RunBatch(new EngineOptions { NumKvBlocks = 64, BlockSize = 4 }, [r])[0]).ToArray();

        // Together in a small pool with a small token budget: chunked prefill, prefix caching and preemption.
        var tight = Spec(new EngineOptions { NumKvBlocks = 40, BlockSize = 4, MaxNumBatchedTokens = 20 }, method);
        LlmEngine? seen = null;
        var results = RunBatch(tight, requests, method == SpeculativeMethod.Draft ? Model() : null, e => seen = e);
        Assert.Contains(reference, r => r.Last.StopReason is not null); // a stop string cut one mid-step
        Assert.Contains(reference, r => r.Last.Finish == FinishReason.Length);
        var stats = seen!.GetStats();
        Assert.True(stats.PreemptionsTotal > 0, "the pool should force preemption");
        Assert.NotNull(stats.Speculative);
        Assert.True(stats.Speculative!.AcceptedTokens > 20, $"drafts should be accepted ({stats.Speculative})");
        for (int i = 0; i < requests.Length; i++)
        {
            Assert.Equal(reference[i].Tokens, results[i].Tokens);
            Assert.Equal(reference[i].Text, results[i].Text);
            Assert.Equal(reference[i].Last.Finish, results[i].Last.Finish);
            Assert.Equal(reference[i].Last.StopReason, results[i].Last.StopReason);
            Assert.Equal(reference[i].Last.CompletionTokens, results[i].Last.CompletionTokens);
            Assert.True(results[i].Tokens.Count <= requests[i].Sampling.MaxTokens);
            var expectedLogprobs = reference[i].Deltas.SelectMany(d => d.Logprobs ?? []).ToList();
            var logprobs = results[i].Deltas.SelectMany(d => d.Logprobs ?? []).ToList();
            Assert.Equal(expectedLogprobs.Count, logprobs.Count);
            for (int j = 0; j < logprobs.Count; j++)
            {
                Assert.Equal(expectedLogprobs[j].TokenId, logprobs[j].TokenId);
                Assert.Equal(expectedLogprobs[j].Logprob, logprobs[j].Logprob, 5);
                Assert.Equal(expectedLogprobs[j].Top.Select(t => t.TokenId), logprobs[j].Top.Select(t => t.TokenId));
            }
        }
    }

    [Fact]
    public void DraftEqualToTargetAcceptsEveryGreedyDraft()
    {
        var prompts = Enumerable.Range(0, 4).Select(i => Prompt(9 + i, 300 + i)).ToArray();
        var options = Spec(new EngineOptions { NumKvBlocks = 64, BlockSize = 4 }, SpeculativeMethod.Draft);
        var engine = Untimed(Model(), new FakeTokenizer(), options, Model());
        foreach (var p in prompts) engine.AddRequest(Request(p, Greedy(30)));
        RunAll(engine);
        var s = engine.GetStats().Speculative!;
        Assert.Equal("draft", s.Method);
        Assert.True(s.DraftTokens > 50);
        Assert.Equal(s.DraftTokens, s.AcceptedTokens);
        Assert.Equal(s.Drafts, s.AcceptedPerPosition[0]);
        Assert.Equal(1.0, s.AcceptanceRate);
    }

    [Fact]
    public void PromptLookupCopiesARepeatedSpanInFewerSteps()
    {
        // The model continues the cycle; the prompt already holds it, so lookup drafts are right from the start.
        var prompt = new List<int> { 3 };
        for (int i = 0; i < 30; i++) prompt.Add(CycleNext(prompt[^1]));
        var plain = Untimed(Model(), new FakeTokenizer(), new EngineOptions { NumKvBlocks = 64, BlockSize = 4 });
        var spec = Untimed(Model(), new FakeTokenizer(), Spec(new EngineOptions { NumKvBlocks = 64, BlockSize = 4 }, SpeculativeMethod.Ngram));
        int plainSteps = 0, specSteps = 0;
        long k1 = plain.AddRequest(Request(prompt, Greedy(40)));
        var a = RunAll(plain, _ => plainSteps++)[k1][0];
        long k2 = spec.AddRequest(Request(prompt, Greedy(40)));
        var b = RunAll(spec, _ => specSteps++)[k2][0];
        Assert.True(b.Last.Error is null, b.Last.Error);
        Assert.Equal(a.Tokens, b.Tokens);
        Assert.Equal(40, b.Tokens.Count);
        Assert.True(specSteps * 3 < plainSteps, $"{specSteps} steps with speculation vs {plainSteps} without");
        var s = spec.GetStats().Speculative!;
        Assert.Equal(s.DraftTokens, s.AcceptedTokens);
    }

    [Fact]
    public void DraftsAreNotCutByTheLatencyBudgetAndWaitingPromptsKeepTheirShare()
    {
        // A step fixed cost of 0 tokens and ITL ratio 2: with one sequence decoding and one prompt waiting, the latency
        // budget is sized for the two that will decode, 2·2 = 4 tokens: its decode token and three prompt tokens. The
        // decoding sequence's 4 drafts ride on top of that (they are bounded by the step's hard cap), and a prompt that
        // arrives still gets its three tokens per step.
        var prompt = new List<int> { 3 };
        for (int i = 0; i < 30; i++) prompt.Add(CycleNext(prompt[^1]));
        var engine = Untimed(Model(), new FakeTokenizer(), Spec(new EngineOptions
        {
            NumKvBlocks = 64, BlockSize = 4, StepFixedCostTokens = 0, InterTokenLatencyRatio = 2,
        }, SpeculativeMethod.Ngram));
        engine.AddRequest(Request(prompt, Greedy(40), "copy"));
        for (int i = 0; i < 10 && engine.LastStepTokens != 5; i++) engine.Step();
        Assert.Equal(5, engine.LastStepTokens); // a decode token and 4 drafts
        engine.AddRequest(Request(Prompt(30, 9), Greedy(4), "late"));
        engine.Step();
        Assert.Equal(2, engine.LastStepSequences);
        Assert.Equal(8, engine.LastStepTokens); // and three tokens of the waiting prompt
    }

    [Fact]
    public void RejectedDraftsGiveTheirBlocksBack()
    {
        // Drafts from a model that never agrees with the target: every step rolls back k positions. With block size
        // 2 and k = 6, each rejected step held up to 3 extra blocks; after every step the running sequences hold
        // exactly the blocks their computed tokens need, and nothing at the end.
        var target = Model();
        var draft = new FakeModel { Next = t => (t + 7) % 64 };
        var options = Spec(new EngineOptions { NumKvBlocks = 64, BlockSize = 2, EnablePrefixCaching = false }, SpeculativeMethod.Draft, k: 6)
            with { SpeculativeMinAcceptance = 0 };
        var engine = Untimed(target, new FakeTokenizer(), options, draft);
        var keys = Enumerable.Range(0, 3).Select(i => engine.AddRequest(Request(Prompt(7 + i, 50 + i), Greedy(25)))).ToArray();
        int checkedSteps = 0;
        RunAll(engine, _ =>
        {
            int held = 0;
            foreach (var seq in engine.RunningSequences)
            {
                Assert.Equal((seq.NumComputed + 1) / 2, seq.BlockTable.Count);
                held += seq.BlockTable.Count;
            }
            Assert.Equal(held, engine.GetStats().UsedKvBlocks);
            checkedSteps++;
        });
        Assert.True(checkedSteps > 10);
        var s = engine.GetStats().Speculative!;
        Assert.True(s.DraftTokens > s.AcceptedTokens);
        Assert.Equal(0, engine.GetStats().UsedKvBlocks);
        var proposer = Assert.IsType<DraftModelProposer>(engine.Speculator!.Proposer);
        Assert.Equal(proposer.BlockCount, proposer.FreeBlocks);
    }
}
