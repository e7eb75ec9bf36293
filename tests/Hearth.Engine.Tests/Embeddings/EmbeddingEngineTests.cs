using Hearth.Engine.Embeddings;
using Hearth.Engine.Models;

namespace Hearth.Engine.Tests.Embeddings;

/// <summary>The embedding engine's scheduling on a model that records its passes: inputs of many requests share
/// passes within the token and sequence budgets, results come back in order, limits and cancellation hold.</summary>
public class EmbeddingEngineTests
{
    /// <summary>Output = [sequence length, first token, pass number]; blocks while <see cref="Gate"/> is closed.</summary>
    private sealed class RecordingModel : IEmbeddingModel
    {
        public readonly List<int[]> Passes = [];
        public readonly ManualResetEventSlim Gate = new(true);
        public EmbeddingShape Shape { get; } = new("test", 1000, 64, 3, 3, PoolingType.Mean);

        public void Embed(ReadOnlySpan<int> tokens, ReadOnlySpan<int> lengths, Span<float> output)
        {
            Gate.Wait(TimeSpan.FromSeconds(10));
            lock (Passes) Passes.Add(lengths.ToArray());
            int start = 0;
            for (int i = 0; i < lengths.Length; i++)
            {
                output[3 * i] = lengths[i];
                output[3 * i + 1] = tokens[start];
                output[3 * i + 2] = Passes.Count;
                start += lengths[i];
            }
        }

        public void Dispose() => Gate.Dispose();
    }

    private static int[] Seq(int first, int length) => Enumerable.Range(first, length).ToArray();

    [Fact]
    public async Task RequestsArePackedUnderTheBudgetAndAnsweredInOrder()
    {
        using var model = new RecordingModel();
        await using var engine = new EmbeddingEngine(model, new EngineOptions { MaxNumBatchedTokens = 20, MaxNumSeqs = 3 });
        model.Gate.Reset(); // hold the first pass so that the rest queue up behind it
        var first = engine.EmbedAsync([Seq(1, 4)]);
        var second = engine.EmbedAsync([Seq(10, 8), Seq(20, 8), Seq(30, 8)]);
        var third = engine.EmbedAsync([Seq(40, 2), Seq(50, 2), Seq(60, 30)]);
        model.Gate.Set();
        var r1 = await first.WaitAsync(TimeSpan.FromSeconds(10));
        var r2 = await second.WaitAsync(TimeSpan.FromSeconds(10));
        var r3 = await third.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal([4f, 1f], r1[0][..2]);
        Assert.Equal(new[] { 10f, 20f, 30f }, r2.Select(v => v[1]));
        Assert.Equal(new[] { 40f, 50f, 60f }, r3.Select(v => v[1]));
        // Every pass keeps to 20 tokens and 3 sequences, except a sequence longer than the budget, which runs alone.
        Assert.All(model.Passes, p => Assert.True((p.Sum() <= 20 && p.Length <= 3) || p.Length == 1, string.Join(",", p)));
        Assert.Contains(model.Passes, p => p.Length > 1); // requests did share passes
        Assert.Equal(7, model.Passes.Sum(p => p.Length));
        Assert.Equal(7, engine.GetStats().InputsTotal);
    }

    [Fact]
    public async Task InvalidInputsAndAFullQueueAreRefusedAtOnce()
    {
        using var model = new RecordingModel();
        await using var engine = new EmbeddingEngine(model, new EngineOptions { MaxQueuedRequests = 1 });
        Assert.Throws<InvalidRequestException>(() => { _ = engine.EmbedAsync([[]]); });
        Assert.Throws<InvalidRequestException>(() => { _ = engine.EmbedAsync([Seq(0, 65)]); });
        Assert.Throws<InvalidRequestException>(() => { _ = engine.EmbedAsync([[1000]]); });
        model.Gate.Reset();
        var held = engine.EmbedAsync([Seq(1, 2)]);
        Assert.Throws<EngineBusyException>(() => { _ = engine.EmbedAsync([Seq(1, 2)]); });
        model.Gate.Set();
        await held.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Single(await engine.EmbedAsync([Seq(1, 2)]).WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task ACancelledRequestEndsAndItsWaitingInputsAreDropped()
    {
        using var model = new RecordingModel();
        await using var engine = new EmbeddingEngine(model, new EngineOptions { MaxNumBatchedTokens = 4, MaxNumSeqs = 1 });
        model.Gate.Reset();
        var blocker = engine.EmbedAsync([Seq(1, 4)]);
        using var cts = new CancellationTokenSource();
        var cancelled = engine.EmbedAsync([Seq(10, 4), Seq(20, 4), Seq(30, 4)], cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(TimeSpan.FromSeconds(10)));
        model.Gate.Set();
        await blocker.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Single(await engine.EmbedAsync([Seq(5, 1)]).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(2, model.Passes.Count); // the blocker and the last request: the cancelled inputs never ran
    }
}
