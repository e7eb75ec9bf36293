using Hearth.Store;
using Hearth.Store.Hosting;
using Hearth.Store.Tests.Store;

namespace Hearth.Store.Tests.Hosting;

public sealed class ModelHostTests : IDisposable
{
    private readonly TempStore _t = new();
    private readonly FakeLoader _loader = new();
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(10);

    public ModelHostTests()
    {
        _t.AddModel("a");
        _t.Store.Copy("a", "b");
        _t.Store.Copy("a", "c");
    }

    public void Dispose() => _t.Dispose();

    private ModelHost Host(ModelHostOptions? options = null) => new(_t.Store, _loader.LoadAsync, options ?? new ModelHostOptions { DefaultModelName = "a" });

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (int i = 0; i < 500 && !condition(); i++) await Task.Delay(10);
        Assert.True(condition(), "condition not reached within 5 s");
    }

    [Fact]
    public async Task LoadsOnceAndReportsLeases()
    {
        await using var host = Host();
        using (var l1 = await host.AcquireAsync("a", Long, default))
        using (var l2 = await host.AcquireAsync("a:latest", Long, default))
        {
            Assert.Same(l1.Model, l2.Model);
            var status = Assert.Single(host.Loaded());
            Assert.Equal(("a:latest", TempStore.GgufSize, 2), (status.Name, status.SizeBytes, status.ActiveRequests));
        }
        Assert.Equal(0, Assert.Single(host.Loaded()).ActiveRequests);
        Assert.Equal(1, host.LoadCount);
    }

    [Fact]
    public async Task NoNameMeansTheDefaultModel()
    {
        await using var host = Host();
        using var lease = await host.AcquireAsync(null, null, default);
        Assert.Equal("a:latest", lease.Model.Name);
        Assert.Equal("a", host.DefaultModelName);
    }

    [Fact]
    public async Task UnknownModelThrowsNotFound()
    {
        await using var host = Host();
        var e = await Assert.ThrowsAsync<ModelNotFoundException>(() => host.AcquireAsync("zzz", null, default));
        Assert.Equal("zzz", e.Name);
        Assert.Equal(0, host.LoadCount);
    }

    [Fact]
    public async Task ConcurrentRequestsForALoadingModelShareOneLoad()
    {
        await using var host = Host();
        _loader.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiters = Enumerable.Range(0, 8).Select(_ => Task.Run(() => host.AcquireAsync("b", Long, default))).ToArray();
        await Task.Delay(100);
        Assert.All(waiters, w => Assert.False(w.IsCompleted));
        _loader.Gate.SetResult();
        var leases = await Task.WhenAll(waiters).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.All(leases, l => Assert.Same(leases[0].Model, l.Model));
        Assert.Equal(1, host.LoadCount);
        Assert.Single(_loader.Loads);
        Assert.Equal(8, Assert.Single(host.Loaded()).ActiveRequests);
        foreach (var l in leases) l.Dispose();
    }

    [Fact]
    public async Task KeepAliveExpiresAndDisposesTheEngine()
    {
        await using var host = Host();
        // Long enough that a busy machine cannot let it expire before the next line looks, short enough to wait out.
        using (await host.AcquireAsync("a", TimeSpan.FromSeconds(1), default)) { }
        Assert.Single(host.Loaded());
        await WaitUntil(() => host.Loaded().Count == 0);
        Assert.Equal(1, _loader.EngineOf("a:latest").DisposeCount);
    }

    [Fact]
    public async Task KeepAliveZeroUnloadsRightAfterTheRequest()
    {
        await using var host = Host();
        var lease = await host.AcquireAsync("a", TimeSpan.Zero, default);
        Assert.Single(host.Loaded());
        lease.Dispose();
        Assert.Empty(host.Loaded());
        Assert.Equal(1, _loader.EngineOf("a:latest").DisposeCount);
    }

    [Fact]
    public async Task ExpiresAtFollowsKeepAliveAndNegativeMeansForever()
    {
        var time = new ManualTime(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        await using var host = Host(new ModelHostOptions { DefaultModelName = "a", TimeProvider = time });
        using (await host.AcquireAsync("a", Long, default)) { }
        time.Now += TimeSpan.FromMinutes(1);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 14, 5, TimeSpan.Zero), Assert.Single(host.Loaded()).ExpiresAt);
        using (await host.AcquireAsync("a", TimeSpan.FromSeconds(-1), default)) { }
        Assert.Equal(DateTimeOffset.MaxValue, Assert.Single(host.Loaded()).ExpiresAt);
        // The default keep-alive is 5 minutes.
        using (await host.AcquireAsync("b", null, default)) { }
        Assert.Equal(time.Now + TimeSpan.FromMinutes(5), host.Loaded().Single(s => s.Name == "b:latest").ExpiresAt);
    }

    [Fact]
    public async Task LeastRecentlyUsedIsUnloadedUnderTheMemoryBudget()
    {
        await using var host = Host(new ModelHostOptions { DefaultModelName = "a", MemoryBudgetBytes = 2 * TempStore.GgufSize });
        using (await host.AcquireAsync("a", Long, default)) { }
        using (await host.AcquireAsync("b", Long, default)) { }
        using (await host.AcquireAsync("a", Long, default)) { } // a is now more recent than b
        using (await host.AcquireAsync("c", Long, default)) { }
        Assert.Equal(["a:latest", "c:latest"], host.Loaded().Select(s => s.Name));
        Assert.Equal(1, _loader.EngineOf("b:latest").DisposeCount);
        Assert.Equal(0, _loader.EngineOf("a:latest").DisposeCount);
        Assert.Equal(3, host.LoadCount);
    }

    [Fact]
    public async Task MaxLoadedModelsEvictsAndBusyModelsAreNeverUnloaded()
    {
        await using var host = Host(new ModelHostOptions { DefaultModelName = "a", MaxLoadedModels = 1 });
        var busy = await host.AcquireAsync("a", Long, default);
        var waiting = host.AcquireAsync("b", Long, default);
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted); // a is busy: b waits for room instead of unloading it
        Assert.Equal(["a:latest"], host.Loaded().Select(s => s.Name));
        Assert.Equal(0, _loader.EngineOf("a:latest").DisposeCount);

        busy.Dispose();
        using var b = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("b:latest", b.Model.Name);
        Assert.Equal(["b:latest"], host.Loaded().Select(s => s.Name));
        Assert.Equal(1, _loader.EngineOf("a:latest").DisposeCount);
    }

    [Fact]
    public async Task WaitingForRoomHonoursCancellation()
    {
        await using var host = Host(new ModelHostOptions { DefaultModelName = "a", MaxLoadedModels = 1 });
        using var busy = await host.AcquireAsync("a", Long, default);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => host.AcquireAsync("b", Long, cts.Token));
        Assert.Equal(1, host.LoadCount);
    }

    [Fact]
    public async Task UnloadStopsIdleModelsNowAndBusyOnesWhenDone()
    {
        await using var host = Host();
        using (await host.AcquireAsync("a", Long, default)) { }
        Assert.True(await host.UnloadAsync("a"));
        Assert.Empty(host.Loaded());
        Assert.Equal(1, _loader.EngineOf("a:latest").DisposeCount);
        Assert.False(await host.UnloadAsync("a"));
        // A name the store does not know is an error (404 over HTTP), not a silent "unloaded".
        await Assert.ThrowsAsync<ModelNotFoundException>(() => host.UnloadAsync("never-loaded"));

        var lease = await host.AcquireAsync("b", Long, default);
        Assert.True(await host.UnloadAsync("b:latest"));
        Assert.Single(host.Loaded());
        Assert.Equal(0, _loader.EngineOf("b:latest").DisposeCount);
        lease.Dispose();
        Assert.Empty(host.Loaded());
        Assert.Equal(1, _loader.EngineOf("b:latest").DisposeCount);
    }

    [Fact]
    public async Task AFailedLoadIsReportedAndRetriedNextTime()
    {
        await using var host = Host();
        _loader.FailWith = new InvalidDataException("broken weights");
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => host.AcquireAsync("a", Long, default));
        Assert.Equal("broken weights", e.Message);
        Assert.Empty(host.Loaded());
        _loader.FailWith = null;
        using var lease = await host.AcquireAsync("a", Long, default);
        Assert.Equal(2, host.LoadCount);
    }

    [Fact]
    public async Task DisposeUnloadsEverything()
    {
        var host = Host();
        using (await host.AcquireAsync("a", Long, default)) { }
        using (await host.AcquireAsync("b", TimeSpan.FromSeconds(-1), default)) { }
        await host.DisposeAsync();
        Assert.Equal(1, _loader.EngineOf("a:latest").DisposeCount);
        Assert.Equal(1, _loader.EngineOf("b:latest").DisposeCount);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => host.AcquireAsync("a", null, default));
    }

    [Fact]
    public async Task AnExpiryTimerFiringBeforeTheClockSaysSoWaitsOutTheRestAndStillUnloads()
    {
        // The wall clock stands still while the timer fires: the host must re-arm, not forget the expiry.
        var time = new EarlyTimers(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        await using var host = Host(new ModelHostOptions { DefaultModelName = "a", TimeProvider = time });
        using (await host.AcquireAsync("a", TimeSpan.FromMilliseconds(100), default)) { }
        await WaitUntil(() => time.TimersCreated >= 2); // fired early and re-armed
        Assert.Single(host.Loaded());
        time.Now += TimeSpan.FromSeconds(1);
        await WaitUntil(() => host.Loaded().Count == 0);
        Assert.Equal(1, _loader.EngineOf("a:latest").DisposeCount);
    }

    /// <summary>A clock the test moves by hand (timers still run on real time).</summary>
    private class ManualTime(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>A hand-moved clock whose timers fire on real time regardless of it (so before it reaches their due time).</summary>
    private sealed class EarlyTimers(DateTimeOffset start) : ManualTime(start)
    {
        private int _created;
        public int TimersCreated => Volatile.Read(ref _created);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Interlocked.Increment(ref _created);
            return base.CreateTimer(callback, state, dueTime, period);
        }
    }
}

public sealed class ModelHostEmbeddedTests : IDisposable
{
    private readonly TempStore _t = new();
    public void Dispose() => _t.Dispose();

    [Fact]
    public async Task TheEmbeddedDefaultIsRegisteredWhenFirstRequested()
    {
        var loader = new FakeLoader();
        await using var host = new ModelHost(_t.Store, loader.LoadAsync);
        Assert.Equal("tinystories:latest", host.DefaultModelName);
        Assert.Null(_t.Store.Find("tinystories"));
        using var lease = await host.AcquireAsync(null, null, default);
        Assert.Equal("tinystories:latest", lease.Model.Name);
        Assert.Equal(Hearth.Store.EmbeddedModel.Digest, Hearth.Store.BlobDigest.OfFile(_t.Store.Find("tinystories")!.GgufPath));
    }
}
