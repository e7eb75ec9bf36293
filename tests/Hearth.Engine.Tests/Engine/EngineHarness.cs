using Hearth.Core.Tokenizers;
using Hearth.Engine.Models;

namespace Hearth.Engine.Tests.Engine;

/// <summary>Runs an <see cref="LlmEngine"/> synchronously to completion and collects each choice's output.</summary>
internal static class EngineHarness
{
    public sealed record Choice(List<int> Tokens, string Text, List<GenerationDelta> Deltas)
    {
        public GenerationDelta Last => Deltas[^1];
    }

    public static LlmEngine NewEngine(FakeModel? model = null, EngineOptions? options = null, FakeTokenizer? tokenizer = null) =>
        Untimed(model ?? new FakeModel(), tokenizer ?? new FakeTokenizer(), options ?? new EngineOptions { NumKvBlocks = 256, BlockSize = 4 });

    /// <summary>An engine whose schedule does not depend on how fast this machine is: the step budget's fixed cost is
    /// pinned (unless the test sets it) instead of learned from step times, so the same test makes the same steps on a
    /// fast and on a loaded machine (a CI run once saw no preemption where the test expects one).</summary>
    public static LlmEngine Untimed(IForwardModel model, ITokenizer tokenizer, EngineOptions options, IForwardModel? draft = null) =>
        new(model, tokenizer, options with { StepFixedCostTokens = options.StepFixedCostTokens ?? 12 }, draft);

    public static GenerationRequest Request(IEnumerable<int> prompt, SamplingParams? sampling = null, string id = "r") =>
        new(id, prompt.ToArray(), sampling ?? Greedy(8));

    public static SamplingParams Greedy(int maxTokens) => new() { Temperature = 0, MaxTokens = maxTokens, IgnoreEos = true };

    /// <summary>Deterministic pseudo-random prompt of tokens 2..63.</summary>
    public static int[] Prompt(int length, int seed) =>
        Enumerable.Range(0, length).Select(i => 2 + (int)((uint)(i * 7919 + seed * 104729 + i * i * 31) % 62)).ToArray();

    /// <summary>Steps until every request is done (bounded); returns outputs by request key, then choice index.</summary>
    public static Dictionary<long, Dictionary<int, Choice>> RunAll(LlmEngine engine, Action<int>? afterStep = null, int maxSteps = 10_000)
    {
        var all = new Dictionary<long, Dictionary<int, Choice>>();
        for (int step = 0; engine.HasUnfinishedRequests; step++)
        {
            Assert.True(step < maxSteps, "engine did not finish");
            foreach (var o in engine.Step().Outputs) Collect(all, o);
            afterStep?.Invoke(step);
        }
        return all;
    }

    public static void Collect(Dictionary<long, Dictionary<int, Choice>> all, RequestOutput o)
    {
        if (!all.TryGetValue(o.RequestKey, out var choices)) all[o.RequestKey] = choices = [];
        if (!choices.TryGetValue(o.Delta.Index, out var c)) choices[o.Delta.Index] = c = new Choice([], "", []);
        c.Tokens.AddRange(o.Delta.TokenIds);
        c.Deltas.Add(o.Delta);
        choices[o.Delta.Index] = c with { Text = c.Text + o.Delta.Text };
    }

    /// <summary>Runs one request alone on a fresh engine (the reference for batched runs).</summary>
    public static Choice RunAlone(GenerationRequest request, EngineOptions? options = null, bool successor = false)
    {
        var engine = NewEngine(new FakeModel(successor: successor), options);
        long key = engine.AddRequest(request);
        return RunAll(engine)[key][0];
    }
}
