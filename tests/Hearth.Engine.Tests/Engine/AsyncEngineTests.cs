using System.Threading.Channels;
using static Hearth.Engine.Tests.Engine.EngineHarness;

namespace Hearth.Engine.Tests.Engine;

public class AsyncEngineTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static async Task<List<GenerationDelta>> ReadAll(ChannelReader<GenerationDelta> reader)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var list = new List<GenerationDelta>();
        await foreach (var d in reader.ReadAllAsync(cts.Token)) list.Add(d);
        return list;
    }

    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(5);
        }
    }

    [Fact]
    public async Task StreamsDeltasLikeTheSynchronousEngine()
    {
        var request = Request(Prompt(12, 3), Greedy(10));
        var expected = RunAlone(request);
        await using var engine = new AsyncEngine(new FakeModel(), new FakeTokenizer(), new EngineOptions { NumKvBlocks = 64, BlockSize = 4 });
        var deltas = await ReadAll(engine.Submit(request));
        Assert.Equal(expected.Tokens, deltas.SelectMany(d => d.TokenIds));
        Assert.Equal(FinishReason.Length, deltas[^1].Finish);
        await Until(() => engine.IsIdle);
        var stats = engine.GetStats();
        Assert.Equal((0, 0, 10L, 12L), (stats.RunningRequests, stats.UsedKvBlocks, stats.GenerationTokensTotal, stats.PromptTokensTotal));
        long steps = stats.GenerationTokensTotal;
        await Task.Delay(50);
        // Still parked, not spinning: no step ran, and the thread is back in its wait (reading the stats may have woken
        // it briefly, and on a loaded machine it can take a while to be scheduled back into the wait).
        Assert.Equal(steps, engine.GetStats().GenerationTokensTotal);
        await Until(() => engine.IsIdle);
        Assert.Equal(steps, engine.GetStats().GenerationTokensTotal);
    }

    [Fact]
    public async Task TheFirstDeltaCarriesTheQueueTimeAndLaterOnesDoNot()
    {
        // One sequence at a time: the second request waits in the queue while the first decodes.
        var model = new FakeModel { OnForward = () => Thread.Sleep(2) };
        await using var engine = new AsyncEngine(model, new FakeTokenizer(), new EngineOptions { NumKvBlocks = 64, BlockSize = 4, MaxNumSeqs = 1 });
        var first = engine.Submit(Request(Prompt(8, 1), Greedy(20)));
        var second = engine.Submit(Request(Prompt(8, 2), Greedy(5)));
        var a = await ReadAll(first);
        var b = await ReadAll(second);
        Assert.NotNull(a[0].QueueTime);
        Assert.All(a.Skip(1), d => Assert.Null(d.QueueTime));
        Assert.True(b[0].QueueTime > a[0].QueueTime, $"queued {b[0].QueueTime} vs {a[0].QueueTime}");
        Assert.True(b[0].QueueTime >= TimeSpan.FromMilliseconds(20), $"second request queued only {b[0].QueueTime}");
    }

    [Fact]
    public async Task CancellationAbortsTheRequestAndFreesItsBlocks()
    {
        var model = new FakeModel { OnForward = () => Thread.Sleep(1) };
        await using var engine = new AsyncEngine(model, new FakeTokenizer(), new EngineOptions { NumKvBlocks = 200, BlockSize = 4 });
        using var cts = new CancellationTokenSource();
        var reader = engine.Submit(Request(Prompt(20, 1), Greedy(400)), cts.Token);
        using var wait = new CancellationTokenSource(Timeout);
        var first = await reader.ReadAsync(wait.Token);
        Assert.Null(first.Finish);
        await Until(() => engine.GetStats().UsedKvBlocks > 0); // stats are published after each step
        cts.Cancel();
        var rest = await ReadAll(reader);
        Assert.Equal(FinishReason.Cancelled, rest[^1].Finish);
        Assert.True(rest[^1].CompletionTokens < 400);
        await Until(() => engine.IsIdle);
        Assert.Equal(0, engine.GetStats().UsedKvBlocks);
    }

    [Fact]
    public async Task SubmitPastTheQueueBoundThrowsAtOnce()
    {
        using var gate = new SemaphoreSlim(0);
        using var entered = new SemaphoreSlim(0);
        var model = new FakeModel { OnForward = () => { entered.Release(); gate.Wait(Timeout); } };
        await using var engine = new AsyncEngine(model, new FakeTokenizer(),
            new EngineOptions { NumKvBlocks = 64, BlockSize = 4, MaxNumSeqs = 1, MaxQueuedRequests = 2 });
        var a = engine.Submit(Request(Prompt(4, 1), Greedy(2)));
        Assert.True(await entered.WaitAsync(Timeout)); // a is admitted and the engine thread is inside Forward
        var b = engine.Submit(Request(Prompt(4, 2), Greedy(2)));
        var c = engine.Submit(Request(Prompt(4, 3), Greedy(2)));
        Assert.Throws<EngineBusyException>(() => engine.Submit(Request(Prompt(4, 4), Greedy(2))));
        Assert.Equal(2, engine.GetStats().WaitingRequests);
        Assert.Throws<InvalidRequestException>(() => engine.Submit(Request([])));
        gate.Release(100);
        foreach (var r in new[] { a, b, c }) Assert.Equal(FinishReason.Length, (await ReadAll(r))[^1].Finish);
        await ReadAll(engine.Submit(Request(Prompt(4, 4), Greedy(2)))); // room again
    }

    [Fact]
    public async Task AFailingRequestDoesNotHurtTheOthers()
    {
        // Successor model: prompt [10] generates 11, 12, 13 …; the tokenizer throws on 13.
        var tokenizer = new FakeTokenizer { Poison = 13 };
        await using var engine = new AsyncEngine(new FakeModel(successor: true), tokenizer, new EngineOptions { NumKvBlocks = 64, BlockSize = 4 });
        var bad = engine.Submit(Request([10], Greedy(8)));
        var good = engine.Submit(Request([30], Greedy(8)));
        var badDeltas = await ReadAll(bad);
        var goodDeltas = await ReadAll(good);
        Assert.Equal(FinishReason.Error, badDeltas[^1].Finish);
        Assert.Contains("poisoned token 13", badDeltas[^1].Error);
        Assert.Equal([11, 12], badDeltas.SelectMany(d => d.TokenIds));
        Assert.Equal(Enumerable.Range(31, 8), goodDeltas.SelectMany(d => d.TokenIds));
        Assert.Equal(FinishReason.Length, goodDeltas[^1].Finish);
        // The loop is still alive.
        Assert.Equal(FinishReason.Length, (await ReadAll(engine.Submit(Request([40], Greedy(2)))))[^1].Finish);
    }

    [Fact]
    public async Task DisposeStopsTheThreadAndEndsOpenStreams()
    {
        var model = new FakeModel { OnForward = () => Thread.Sleep(1) };
        var engine = new AsyncEngine(model, new FakeTokenizer(), new EngineOptions { NumKvBlocks = 200, BlockSize = 4 }, owned: [model]);
        var reader = engine.Submit(Request(Prompt(8, 1), Greedy(400)));
        using var wait = new CancellationTokenSource(Timeout);
        await reader.ReadAsync(wait.Token);
        await engine.DisposeAsync();
        Assert.True(engine.IsStopped);
        Assert.True(model.Disposed);
        Assert.Equal(FinishReason.Cancelled, (await ReadAll(reader))[^1].Finish);
        Assert.Throws<ObjectDisposedException>(() => engine.Submit(Request([2])));
    }
}
