using Hearth.Core.Tokenizers;
using Hearth.Engine.Models;
using Hearth.Engine.Speculative;
using Hearth.Engine.Structured;

namespace Hearth.Engine;

/// <summary>The synchronous engine for one model: requests in, <see cref="Step"/> computes one batch and returns the
/// deltas it produced. Not thread-safe; <see cref="AsyncEngine"/> drives it from one dedicated thread.</summary>
public sealed class LlmEngine
{
    private readonly BlockManager _blocks;
    private readonly Scheduler _scheduler;
    private readonly ModelRunner _runner;
    private readonly RequestValidator _validator;
    private readonly Dictionary<long, EngineRequest> _requests = [];
    private readonly Lazy<TokenTrie> _trie;
    private readonly Speculator? _speculator;
    private readonly SpeculativeStats? _specStats;
    private long _nextKey;
    private long _promptTokens, _generationTokens, _admitted;

    /// <param name="draftModel">The draft model for <see cref="SpeculativeMethod.Draft"/> (same vocabulary; the caller
    /// owns it); ignored by the other methods.</param>
    public LlmEngine(IForwardModel model, ITokenizer tokenizer, EngineOptions? options = null, IForwardModel? draftModel = null)
    {
        Options = options ?? new EngineOptions();
        Options.Validate();
        var shape = model.Shape;
        var endOfGeneration = new bool[shape.VocabSize];
        for (int i = 0; i < Math.Min(shape.VocabSize, tokenizer.VocabSize); i++)
            endOfGeneration[i] = tokenizer.IsEndOfGeneration(i);
        var sampler = new Sampler(shape.VocabSize, endOfGeneration);
        _runner = new ModelRunner(model, sampler, Options);
        MaxModelLength = _runner.MaxModelLength;
        _speculator = SpeculationSetup.Create(Options, shape.VocabSize, MaxModelLength, draftModel);
        if (_speculator is not null)
        {
            _specStats = new SpeculativeStats(_speculator.Method, Options.NumSpeculativeTokens);
            _runner.Verifier = new DraftVerifier(sampler, shape.VocabSize, _specStats);
        }
        if (Options.EnablePrefixCaching) PrefixCache = new PrefixCacheEvents(Options.BlockSize);
        _blocks = new BlockManager(_runner.Layout.GroupWindows, _runner.Layout.BlockCounts, Options.BlockSize, Options.EnablePrefixCaching,
            events: PrefixCache);
        _scheduler = new Scheduler(_blocks, new OutputProcessor(tokenizer, endOfGeneration, MaxModelLength), Options);
        _validator = new RequestValidator(shape.VocabSize, MaxModelLength, Options.MaxNumSeqs);
        _trie = new Lazy<TokenTrie>(() => TokenTrie.For(tokenizer, shape.VocabSize));
        Limits = new EngineLimits(MaxModelLength, shape.ContextLength, shape.VocabSize, Options.MaxNumSeqs);
    }

    /// <summary>What a request may ask of this engine.</summary>
    public EngineLimits Limits { get; }

    public EngineOptions Options { get; }

    /// <summary>Longest prompt + completion this engine accepts (model context, capped by the KV pool).</summary>
    public int MaxModelLength { get; }

    public bool HasUnfinishedRequests => _scheduler.HasWork;

    /// <summary>Requests admitted so far (left the waiting queue); safe to read from any thread.</summary>
    public long AdmittedTotal => Interlocked.Read(ref _admitted);

    /// <summary>The size of the last step (tokens, sequences), for tests and benchmarks.</summary>
    public int LastStepTokens { get; private set; }
    public int LastStepSequences { get; private set; }

    /// <summary>Tokens run through the model so far (with recomputation; without prefix-cache hits).</summary>
    public long TokensComputed => _runner.TokensComputed;

    /// <summary>Throws <see cref="InvalidRequestException"/> when the model cannot take the request. Thread-safe.</summary>
    public void Validate(GenerationRequest request) => _validator.Validate(request);

    /// <summary>Queues a request; returns its engine key (the key of its outputs).</summary>
    public long AddRequest(GenerationRequest request)
    {
        int maxTokens = _validator.Validate(request);
        var r = new EngineRequest(++_nextKey, request, maxTokens,
            (req, i) => new Sequence(req, i, Xoshiro256.ForChoice(req.Sampling.Seed, i), new Detokenizer(),
                req.Sampling.Grammar is { } g ? new GrammarMatcher(g, _trie.Value) : null));
        if (request.Lora is { } lora && !lora.TryAcquire())
            throw new InvalidRequestException($"LoRA adapter '{lora}' was unloaded before the request started", "model");
        _requests.Add(r.Key, r);
        _scheduler.Add(r);
        _promptTokens += request.PromptTokens.Count;
        return r.Key;
    }

    /// <summary>Aborts a request now: its blocks are freed and each unfinished choice gets a Cancelled delta.</summary>
    public IReadOnlyList<RequestOutput> Abort(long key, FinishReason reason = FinishReason.Cancelled, string? error = null)
    {
        if (!_requests.Remove(key, out var request)) return [];
        request.Request.Lora?.Release();
        var results = new List<RequestOutput>();
        _scheduler.Fail(request, reason, error, results);
        return results;
    }

    /// <summary>The prefix cache's contents as events (null when prefix caching is off).</summary>
    public PrefixCacheEvents? PrefixCache { get; }

    /// <summary>One engine step: schedule a batch, run the model on it, apply the results. Returns the requests
    /// admitted in this step and the deltas produced.</summary>
    public StepResult Step()
    {
        try
        {
            return StepCore();
        }
        finally
        {
            PrefixCache?.Publish();
        }
    }

    private StepResult StepCore()
    {
        var batch = _scheduler.Schedule();
        if (batch.IsEmpty) return StepResult.Empty;
        Interlocked.Add(ref _admitted, batch.Admitted.Count);
        LastStepTokens = batch.TokenCount;
        LastStepSequences = batch.Sequences.Count;
        RunnerOutput output;
        try
        {
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            output = _runner.Run(batch);
            _speculator?.StepDone(batch, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
            _scheduler.ObserveStep(batch.TokenCount, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
        catch (Exception e)
        {
            // A failed forward pass cannot be blamed on one sequence: fail the requests in this batch only.
            var failed = new List<RequestOutput>();
            foreach (var key in batch.Sequences.Select(s => s.Sequence.Request.Key).Distinct().ToList())
                failed.AddRange(Abort(key, FinishReason.Error, "model forward failed: " + e.Message));
            return new StepResult(batch.Admitted, failed);
        }
        var results = _scheduler.Postprocess(batch, output);
        foreach (var r in results)
        {
            _generationTokens += r.Delta.TokenIds.Count;
            if (r.RequestFinished && _requests.Remove(r.RequestKey, out var done)) done.Request.Lora?.Release();
        }
        _speculator?.Propose(_scheduler.Running); // drafts for the next step
        return new StepResult(batch.Admitted, results);
    }

    /// <summary>Counters and gauges now (called after every step: no LINQ, one pass over the unfinished requests).</summary>
    public EngineStats GetStats() => RequestCounts(new()
    {
        TotalKvBlocks = _blocks.TotalBlocks,
        UsedKvBlocks = _blocks.UsedBlocks,
        KvCacheTotalBytes = KvBytes(p => p.TotalBlocks),
        KvCacheUsedBytes = KvBytes(p => p.UsedBlocks),
        PrefixCacheQueries = _blocks.QueriedTokens,
        PrefixCacheHits = _blocks.HitTokens,
        PromptTokensTotal = _promptTokens,
        GenerationTokensTotal = _generationTokens,
        PreemptionsTotal = _scheduler.PreemptionsTotal,
        Speculative = _specStats?.Snapshot(),
    });

    private long KvBytes(Func<BlockPool, int> blocks)
    {
        long bytes = 0;
        for (int g = 0; g < _blocks.Pools.Count; g++)
            bytes += (long)blocks(_blocks.Pools[g]) * _blocks.BlockSize * _runner.GroupBytesPerToken[g];
        return bytes;
    }

    /// <summary>Adds the running requests (a choice is running), the waiting ones (never admitted) and the per-adapter
    /// running and waiting counts (vLLM's lora_requests_info).</summary>
    private EngineStats RequestCounts(EngineStats stats)
    {
        Dictionary<string, int>? running = null, waiting = null;
        int runningRequests = 0, waitingRequests = 0;
        foreach (var r in _requests.Values)
        {
            bool isRunning = false;
            foreach (var s in r.Sequences) isRunning |= s.Status == SequenceStatus.Running;
            if (isRunning) runningRequests++;
            else if (!r.Admitted) waitingRequests++;
            if (r.Request.Lora is not { } lora) continue;
            var counts = isRunning ? running ??= [] : waiting ??= [];
            string name = lora.ToString();
            counts[name] = counts.GetValueOrDefault(name) + 1;
        }
        stats = stats with { RunningRequests = runningRequests, WaitingRequests = waitingRequests };
        return running is null && waiting is null ? stats
            : stats with { RunningLoraRequests = running ?? [], WaitingLoraRequests = waiting ?? [] };
    }

    /// <summary>The running sequences and the speculator (tests check block accounting through them).</summary>
    internal IReadOnlyList<Sequence> RunningSequences => _scheduler.Running;
    internal Speculator? Speculator => _speculator;
    internal BlockManager Blocks => _blocks;

    /// <summary>Fraction of KV slots held by running sequences that hold no token (paged-cache waste).</summary>
    public double KvUnusedFraction() => _blocks.UnusedSlotFraction(_scheduler.Running);
}
