using System.Threading.Channels;
using Hearth.Core.Tokenizers;
using Hearth.Engine.Models;

namespace Hearth.Engine;

/// <summary>Runs an <see cref="LlmEngine"/> on one dedicated thread. Requests and aborts come in through a channel;
/// each request's deltas go out through its own channel. The thread sleeps while there is nothing to do.
/// A failure inside one request finishes that request with <see cref="FinishReason.Error"/>; the loop goes on.</summary>
public sealed class AsyncEngine : IGenerationEngine
{
    private readonly LlmEngine _engine;
    private readonly IReadOnlyList<IDisposable> _owned;
    private readonly Func<(long Used, long Total)?>? _deviceMemory;
    private readonly Channel<Command> _inbox = Channel.CreateUnbounded<Command>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<long, Active> _active = []; // engine thread only
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private volatile EngineStats _stats;
    // The bounded waiting queue holds the requests submitted and neither admitted by the engine nor ended unadmitted:
    // _submitted − LlmEngine.AdmittedTotal − _endedUnadmitted. The engine counts its admissions as it schedules (before
    // the forward pass), so a slot frees the moment its request is admitted, with no callback.
    private long _submitted, _endedUnadmitted;
    private int _disposed;

    /// <param name="owned">What the model lives in, owned by this engine alone and disposed in this order once the
    /// engine thread has stopped: typically the model, its backend and the mapped GGUF file.</param>
    /// <param name="deviceMemory">Device memory in use and in total, added to the stats when the model runs on a GPU.</param>
    /// <param name="draftModel">The draft model of speculative method draft (put it in <paramref name="owned"/> too).</param>
    public AsyncEngine(IForwardModel model, ITokenizer tokenizer, EngineOptions? options = null,
        IReadOnlyList<IDisposable>? owned = null, Func<(long Used, long Total)?>? deviceMemory = null, IForwardModel? draftModel = null)
    {
        _engine = new LlmEngine(model, tokenizer, options, draftModel);
        _owned = owned ?? [];
        _deviceMemory = deviceMemory;
        _stats = _engine.GetStats();
        _thread = new Thread(Loop) { IsBackground = true, Name = "hearth-engine" };
        _thread.Start();
    }

    public int MaxModelLength => _engine.MaxModelLength;

    public EngineLimits Limits => _engine.Limits;

    /// <summary>True while the engine thread is blocked waiting for work (tests check it does not spin).</summary>
    internal bool IsIdle => (_thread.ThreadState & ThreadState.WaitSleepJoin) != 0 && !_engine.HasUnfinishedRequests;
    internal bool IsStopped => !_thread.IsAlive;

    public ChannelReader<GenerationDelta> Submit(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        _engine.Validate(request);
        if (Interlocked.Increment(ref _submitted) - _engine.AdmittedTotal - Volatile.Read(ref _endedUnadmitted) > _engine.Options.MaxQueuedRequests)
        {
            Interlocked.Decrement(ref _submitted);
            throw new EngineBusyException($"the engine's waiting queue is full ({_engine.Options.MaxQueuedRequests} requests)");
        }
        var output = Channel.CreateUnbounded<GenerationDelta>(new UnboundedChannelOptions { SingleWriter = true });
        var active = new Active(request, output.Writer);
        _inbox.Writer.TryWrite(new Command(active, Abort: false));
        if (cancellationToken.CanBeCanceled)
            active.Attach(cancellationToken.Register(() => _inbox.Writer.TryWrite(new Command(active, Abort: true))));
        return output.Reader;
    }

    public PrefixCacheEvents? PrefixCache => _engine.PrefixCache;

    public EngineStats GetStats()
    {
        var stats = _stats with { WaitingRequests = Math.Max(Queued, _stats.WaitingRequests) };
        return _deviceMemory?.Invoke() is { } m ? stats with { DeviceMemoryUsedBytes = m.Used, DeviceMemoryTotalBytes = m.Total } : stats;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        _inbox.Writer.TryComplete();
        await Task.Run(_thread.Join).ConfigureAwait(false);
        _engine.PrefixCache?.Close();
        _stop.Dispose();
        foreach (var d in _owned) d.Dispose();
    }

    private void Loop()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                while (_inbox.Reader.TryRead(out var command)) Handle(command);
                if (!_engine.HasUnfinishedRequests)
                {
                    _stats = _engine.GetStats();
                    WaitForWork();
                    continue;
                }
                var step = _engine.Step();
                foreach (var key in step.Admitted)
                    if (_active.TryGetValue(key, out var a)) a.Admitted = true;
                Deliver(step.Outputs);
                _stats = _engine.GetStats();
            }
            catch (Exception e)
            {
                // A bug outside any one request: fail what is in flight rather than leave clients hanging.
                foreach (var key in _active.Keys.ToList()) Deliver(_engine.Abort(key, FinishReason.Error, "engine error: " + e.Message));
            }
        }
        foreach (var key in _active.Keys.ToList()) Deliver(_engine.Abort(key, FinishReason.Cancelled, "the engine stopped"));
        while (_inbox.Reader.TryRead(out var command))
            if (!command.Abort) Complete(command.Request, new GenerationDelta { Index = 0, Finish = FinishReason.Cancelled, Error = "the engine stopped" });
    }

    private void WaitForWork()
    {
        try
        {
            _inbox.Reader.WaitToReadAsync(_stop.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            // Disposal: the loop condition ends the thread.
        }
    }

    private void Handle(Command command)
    {
        var a = command.Request;
        if (command.Abort)
        {
            if (a.Key is long key && _active.ContainsKey(key)) Deliver(_engine.Abort(key));
            return;
        }
        try
        {
            a.Key = _engine.AddRequest(a.Request);
            _active.Add(a.Key.Value, a);
        }
        catch (Exception e)
        {
            Complete(a, new GenerationDelta { Index = 0, Finish = FinishReason.Error, Error = e.Message });
        }
    }

    private void Deliver(IReadOnlyList<RequestOutput> outputs)
    {
        foreach (var output in outputs)
        {
            if (!_active.TryGetValue(output.RequestKey, out var a)) continue;
            a.Writer.TryWrite(output.Delta);
            if (!output.RequestFinished) continue;
            _active.Remove(output.RequestKey);
            Complete(a, null);
        }
    }

    private void Complete(Active a, GenerationDelta? last)
    {
        if (!a.Admitted) Interlocked.Increment(ref _endedUnadmitted); // it leaves the waiting queue unadmitted
        if (last is not null) a.Writer.TryWrite(last);
        a.Writer.TryComplete();
        a.Detach();
    }

    private int Queued => (int)(Volatile.Read(ref _submitted) - _engine.AdmittedTotal - Volatile.Read(ref _endedUnadmitted));

    private sealed class Active(GenerationRequest request, ChannelWriter<GenerationDelta> writer)
    {
        public GenerationRequest Request { get; } = request;
        public ChannelWriter<GenerationDelta> Writer { get; } = writer;
        public long? Key { get; set; }
        public bool Admitted { get; set; }
        private CancellationTokenRegistration _registration;
        private bool _completed;

        /// <summary>Keeps the cancellation registration until the request completes (or drops it if it already has).</summary>
        public void Attach(CancellationTokenRegistration registration)
        {
            lock (this)
            {
                if (_completed) registration.Dispose();
                else _registration = registration;
            }
        }

        public void Detach()
        {
            lock (this)
            {
                _completed = true;
                _registration.Dispose();
            }
        }
    }

    private readonly record struct Command(Active Request, bool Abort);
}
