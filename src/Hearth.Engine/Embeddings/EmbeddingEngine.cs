using Hearth.Engine.Models;

namespace Hearth.Engine.Embeddings;

/// <summary>Runs an <see cref="IEmbeddingModel"/> on one dedicated thread. Each input of each request is a
/// sequence; the thread packs waiting sequences in arrival order into one forward pass until the next one would pass
/// the token budget (<see cref="EngineOptions.MaxNumBatchedTokens"/>) or the sequence limit
/// (<see cref="EngineOptions.MaxNumSeqs"/>), so inputs from many requests share every weight read. A sequence longer
/// than the budget runs alone. A request completes when its last input is done; a cancelled request's waiting inputs
/// are dropped. The thread sleeps while there is nothing to do.</summary>
public sealed class EmbeddingEngine : IEmbeddingEngine
{
    private readonly IEmbeddingModel _model;
    private readonly EngineOptions _options;
    private readonly Lock _lock = new();
    private readonly Queue<Item> _waiting = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private int _queuedRequests;
    private long _inputsTotal, _tokensTotal, _passesTotal;
    private int _disposed;

    public EmbeddingEngine(IEmbeddingModel model, EngineOptions? options = null)
    {
        _model = model;
        _options = options ?? new EngineOptions();
        _options.Validate();
        _thread = new Thread(Loop) { IsBackground = true, Name = "hearth-embed" };
        _thread.Start();
    }

    public EmbeddingShape Shape => _model.Shape;

    public Task<float[][]> EmbedAsync(IReadOnlyList<int[]> inputs, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        for (int i = 0; i < inputs.Count; i++)
        {
            var ids = inputs[i];
            if (ids.Length == 0) throw new InvalidRequestException($"input {i} has no tokens", "input");
            if (ids.Length > Shape.ContextLength)
                throw new InvalidRequestException($"input {i} has {ids.Length} tokens; the model's context is {Shape.ContextLength}", "input");
            foreach (int id in ids)
                if ((uint)id >= (uint)Shape.VocabSize)
                    throw new InvalidRequestException($"input {i} has token id {id}, outside the vocabulary (0..{Shape.VocabSize - 1})", "input");
        }
        if (inputs.Count == 0) return Task.FromResult(Array.Empty<float[]>());
        var request = new Request(inputs.Count, cancellationToken);
        lock (_lock)
        {
            if (_queuedRequests >= _options.MaxQueuedRequests)
                throw new EngineBusyException($"the embedding queue is full ({_options.MaxQueuedRequests} requests)");
            _queuedRequests++;
            for (int i = 0; i < inputs.Count; i++) _waiting.Enqueue(new Item(request, i, inputs[i]));
        }
        if (cancellationToken.CanBeCanceled)
            request.Registration = cancellationToken.Register(() => Finish(request, canceled: true));
        _signal.Release();
        return request.Done.Task;
    }

    public EmbeddingStats GetStats()
    {
        int waiting;
        lock (_lock) waiting = _waiting.Count;
        return new EmbeddingStats(waiting, Interlocked.Read(ref _inputsTotal), Interlocked.Read(ref _tokensTotal), Interlocked.Read(ref _passesTotal));
    }

    private void Loop()
    {
        var batch = new List<Item>();
        var tokens = new List<int>();
        var lengths = new List<int>();
        float[] output = [];
        while (!_stop.IsCancellationRequested)
        {
            try { _signal.Wait(_stop.Token); }
            catch (OperationCanceledException) { break; }
            while (Take(batch))
            {
                tokens.Clear();
                lengths.Clear();
                foreach (var item in batch)
                {
                    tokens.AddRange(item.Ids);
                    lengths.Add(item.Ids.Length);
                }
                int width = Shape.OutputLength;
                if (output.Length < batch.Count * width) output = new float[batch.Count * width];
                try
                {
                    _model.Embed(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(tokens),
                        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(lengths), output);
                }
                catch (Exception e)
                {
                    foreach (var item in batch) Fail(item.Request, e);
                    continue;
                }
                Interlocked.Increment(ref _passesTotal);
                Interlocked.Add(ref _inputsTotal, batch.Count);
                Interlocked.Add(ref _tokensTotal, tokens.Count);
                for (int i = 0; i < batch.Count; i++)
                {
                    var item = batch[i];
                    item.Request.Results[item.Index] = output.AsSpan(i * width, width).ToArray();
                    if (Interlocked.Decrement(ref item.Request.Remaining) == 0) Finish(item.Request, canceled: false);
                }
            }
        }
    }

    /// <summary>Moves the next pass's sequences out of the queue: arrival order, within the token and sequence
    /// budgets; cancelled requests' inputs are dropped. False when nothing is waiting.</summary>
    private bool Take(List<Item> batch)
    {
        batch.Clear();
        int budget = _options.MaxNumBatchedTokens, used = 0;
        lock (_lock)
        {
            while (_waiting.TryPeek(out var next))
            {
                if (next.Request.Done.Task.IsCompleted)
                {
                    _waiting.Dequeue();
                    continue;
                }
                if (batch.Count > 0 && (used + next.Ids.Length > budget || batch.Count >= _options.MaxNumSeqs)) break;
                _waiting.Dequeue();
                batch.Add(next);
                used += next.Ids.Length;
            }
        }
        return batch.Count > 0;
    }

    private void Finish(Request request, bool canceled)
    {
        bool done = canceled ? request.Done.TrySetCanceled(request.Token) : request.Done.TrySetResult(request.Results!);
        if (done) Release(request);
    }

    private void Fail(Request request, Exception e)
    {
        if (request.Done.TrySetException(e)) Release(request);
    }

    private void Release(Request request)
    {
        request.Registration.Dispose();
        lock (_lock) _queuedRequests--;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stop.CancelAsync();
        await Task.Run(() => _thread.Join());
        lock (_lock)
            while (_waiting.TryDequeue(out var item))
                item.Request.Done.TrySetException(new ObjectDisposedException(nameof(EmbeddingEngine), "the model was unloaded"));
        _stop.Dispose();
        _signal.Dispose();
    }

    private sealed class Request(int count, CancellationToken token)
    {
        public readonly float[][] Results = new float[count][];
        public int Remaining = count;
        public CancellationToken Token { get; } = token;
        public CancellationTokenRegistration Registration { get; set; }
        public TaskCompletionSource<float[][]> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed record Item(Request Request, int Index, int[] Ids);
}
