using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Hearth.Engine;
using Hearth.Engine.Embeddings;

namespace Hearth.Server.Metrics;

/// <summary>Server-side metrics as <see cref="System.Diagnostics.Metrics"/> instruments with vLLM-style names (prefix
/// "hearth:"), labelled by model; <see cref="Hearth.Metrics.PrometheusMeterExporter"/> writes them on /metrics and any
/// other listener (dotnet-counters, OpenTelemetry) may read the meter too. Counters of tokens and finished requests are
/// counted here (they must never go backwards, and an engine's own counters restart when a model is reloaded); gauges
/// are read from the snapshots of the engines still loaded, at each collection.</summary>
public sealed class ServerMetrics
{
    /// <summary>The meter's name (one meter per server, from the server's <see cref="IMeterFactory"/>).</summary>
    public const string MeterName = "Hearth.Server";

    // Bucket bounds as vLLM uses them (seconds).
    private static readonly double[] TtftBounds = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0];
    private static readonly double[] ItlBounds = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0];
    private static readonly double[] RequestBounds = [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0];

    private readonly ConcurrentDictionary<string, IGenerationEngine> _engines = new();
    private readonly ConcurrentDictionary<string, IEmbeddingEngine> _embedders = new();
    private readonly ConcurrentDictionary<string, Hearth.Engine.Lora.LoraAdapterCache> _adapters = new();
    private readonly Counter<long> _loraRequests;
    private readonly Func<IReadOnlyCollection<string>> _loaded;
    private readonly Counter<long> _promptTokens, _generationTokens, _success;
    private readonly Histogram<double> _ttft, _itl, _e2e, _queue;

    /// <param name="meter">the server's meter</param>
    /// <param name="loaded">names of the models whose engines are still loaded (gauges are written for those only)</param>
    public ServerMetrics(Meter meter, Func<IReadOnlyCollection<string>> loaded)
    {
        Meter = meter;
        _loaded = loaded;
        Gauge("hearth:num_requests_running", "Requests in the running batch.", s => s.RunningRequests);
        Gauge("hearth:num_requests_waiting", "Requests waiting to be scheduled.", s => s.WaitingRequests);
        Gauge("hearth:kv_cache_usage_perc", "Fraction of KV-cache blocks in use (0-1).", s => s.KvCacheUsage);
        Gauge("hearth:kv_cache_blocks_used", "KV-cache blocks in use.", s => s.UsedKvBlocks);
        Gauge("hearth:kv_cache_blocks_total", "KV-cache blocks allocated.", s => s.TotalKvBlocks);
        Gauge("hearth:device_memory_used_bytes", "GPU memory in use on the model's device (models on a GPU only).", s => s.DeviceMemoryUsedBytes);
        Gauge("hearth:device_memory_total_bytes", "GPU memory of the model's device (models on a GPU only).", s => s.DeviceMemoryTotalBytes);
        EngineCounter("hearth:prefix_cache_queries_total", "Prompt tokens looked up in the prefix cache (engine lifetime).", s => s.PrefixCacheQueries);
        EngineCounter("hearth:prefix_cache_hits_total", "Prompt tokens served from the prefix cache (engine lifetime).", s => s.PrefixCacheHits);
        EngineCounter("hearth:num_preemptions_total", "Sequences preempted for lack of KV blocks (engine lifetime).", s => s.PreemptionsTotal);
        _promptTokens = meter.CreateCounter<long>("hearth:prompt_tokens_total", "{token}", "Prompt tokens of finished requests.");
        _generationTokens = meter.CreateCounter<long>("hearth:generation_tokens_total", "{token}", "Generated tokens of finished requests.");
        _success = meter.CreateCounter<long>("hearth:request_success_total", "{request}", "Finished completions by finish reason.");
        _ttft = Hist("hearth:time_to_first_token_seconds", "Time to first token.", TtftBounds);
        _itl = Hist("hearth:inter_token_latency_seconds", "Time between consecutive output tokens.", ItlBounds);
        _e2e = Hist("hearth:e2e_request_latency_seconds", "End-to-end request latency.", RequestBounds);
        _queue = Hist("hearth:request_queue_time_seconds", "Time a request waited before its first scheduled step.", RequestBounds);
        SpecCounter("hearth:spec_decode_num_drafts_total", "Speculative verification steps that carried draft tokens (engine lifetime).", s => s.Drafts);
        SpecCounter("hearth:spec_decode_num_draft_tokens_total", "Draft tokens verified (engine lifetime).", s => s.DraftTokens);
        SpecCounter("hearth:spec_decode_num_accepted_tokens_total", "Draft tokens accepted; acceptance rate = accepted / draft tokens, mean accepted length = 1 + accepted / drafts (engine lifetime).", s => s.AcceptedTokens);
        Meter.CreateObservableCounter("hearth:spec_decode_num_accepted_tokens_per_pos_total", ReadAcceptedPerPosition,
            description: "Verification steps whose draft at this position was accepted (engine lifetime).");
        EmbeddingCounter("hearth:embedding_inputs_total", "Inputs embedded or scored (engine lifetime).", s => s.InputsTotal);
        EmbeddingCounter("hearth:embedding_tokens_total", "Tokens run through embedding and reranking models (engine lifetime).", s => s.TokensTotal);
        EmbeddingCounter("hearth:embedding_forward_passes_total", "Forward passes of embedding models; inputs / passes is the batching achieved (engine lifetime).", s => s.ForwardPassesTotal);
        _loraRequests = meter.CreateCounter<long>("hearth:lora_requests_total", "{request}", "Requests started with a LoRA adapter, by adapter (lora_name) and base model.");
        Meter.CreateObservableGauge("hearth:lora_adapters_loaded", () => ReadAdapters(), description: "LoRA adapters loaded into the base model's weights.");
        Meter.CreateObservableGauge("hearth:lora_requests_running", () => ReadLoraRequests(s => s.RunningLoraRequests), description: "Running requests per LoRA adapter.");
        Meter.CreateObservableGauge("hearth:lora_requests_waiting", () => ReadLoraRequests(s => s.WaitingLoraRequests), description: "Waiting requests per LoRA adapter.");
        Meter.CreateObservableGauge("hearth:lora_requests_info", ReadLoraInfo,
            description: "vLLM's lora_requests_info: the running and waiting adapters (comma-separated) and max_lora as labels; the value is the time of the reading.");
        Meter.CreateObservableGauge("hearth:embedding_inputs_waiting", () => ReadEmbedders(s => s.WaitingInputs), description: "Inputs waiting for an embedding forward pass.");
    }

    /// <summary>Remembers an embedding model's engine so its counters can be read (called whenever a lease is taken).</summary>
    public void TrackEmbedder(string model, IEmbeddingEngine embedder) => _embedders[model] = embedder;

    private void EmbeddingCounter(string name, string help, Func<EmbeddingStats, long> value) =>
        Meter.CreateObservableCounter(name, () => ReadEmbedders(value), description: help);

    private IEnumerable<Measurement<long>> ReadEmbedders(Func<EmbeddingStats, long> value)
    {
        var loaded = _loaded();
        foreach (var (model, embedder) in _embedders.Where(e => loaded.Contains(e.Key)).OrderBy(e => e.Key, StringComparer.Ordinal))
            yield return new Measurement<long>(value(embedder.GetStats()), Model(model));
    }

    public Meter Meter { get; }

    /// <summary>Remembers a base model's adapter cache so the count of loaded adapters can be read.</summary>
    public void TrackAdapters(string model, Hearth.Engine.Lora.LoraAdapterCache adapters) => _adapters[model] = adapters;

    /// <summary>Counts a request that runs with adapters (<paramref name="lora"/> names them) on <paramref name="model"/>.</summary>
    public void LoraRequestStarted(string model, string lora) => _loraRequests.Add(1, Model(model), new KeyValuePair<string, object?>("lora_name", lora));

    private IEnumerable<Measurement<long>> ReadAdapters()
    {
        var loaded = _loaded();
        foreach (var (model, cache) in _adapters.Where(e => loaded.Contains(e.Key)).OrderBy(e => e.Key, StringComparer.Ordinal))
            yield return new Measurement<long>(cache.Loaded().Count, Model(model));
    }

    /// <summary>Per adapter of each base model: every loaded adapter (0 when idle) and every selection with requests.</summary>
    private IEnumerable<Measurement<long>> ReadLoraRequests(Func<EngineStats, IReadOnlyDictionary<string, int>> counts)
    {
        var loaded = _loaded();
        foreach (var (model, engine) in _engines.Where(e => loaded.Contains(e.Key)).OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            var byName = counts(engine.GetStats());
            var names = new SortedSet<string>(byName.Keys, StringComparer.Ordinal);
            if (_adapters.TryGetValue(model, out var cache)) names.UnionWith(cache.Loaded().Select(a => a.Name));
            foreach (var lora in names)
                yield return new Measurement<long>(byName.GetValueOrDefault(lora), Model(model), new KeyValuePair<string, object?>("lora_name", lora));
        }
    }

    private IEnumerable<Measurement<double>> ReadLoraInfo()
    {
        var loaded = _loaded();
        foreach (var (model, cache) in _adapters.Where(e => loaded.Contains(e.Key)).OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            var stats = _engines.TryGetValue(model, out var engine) ? engine.GetStats() : new EngineStats();
            yield return new Measurement<double>(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0, Model(model),
                new KeyValuePair<string, object?>("max_lora", cache.Capacity.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new KeyValuePair<string, object?>("running_lora_adapters", string.Join(",", stats.RunningLoraRequests.Keys.Order(StringComparer.Ordinal))),
                new KeyValuePair<string, object?>("waiting_lora_adapters", string.Join(",", stats.WaitingLoraRequests.Keys.Order(StringComparer.Ordinal))));
        }
    }

    /// <summary>Remembers a model's engine so its gauges can be read (called whenever a lease is taken).</summary>
    public void TrackEngine(string model, IGenerationEngine engine) => _engines[model] = engine;

    public void ObserveTimeToFirstToken(string model, TimeSpan t) => _ttft.Record(t.TotalSeconds, Model(model));
    public void ObserveInterTokenLatency(string model, TimeSpan t) => _itl.Record(t.TotalSeconds, Model(model));
    public void ObserveQueueTime(string model, TimeSpan t) => _queue.Record(t.TotalSeconds, Model(model));

    /// <summary>Records a finished request: its end-to-end latency, its token counts and why each choice finished.</summary>
    public void RequestFinished(string model, TimeSpan e2e, int promptTokens, int generationTokens, IEnumerable<string> finishedReasons)
    {
        var tag = Model(model);
        _e2e.Record(e2e.TotalSeconds, tag);
        _promptTokens.Add(promptTokens, tag);
        _generationTokens.Add(generationTokens, tag);
        foreach (var r in finishedReasons) _success.Add(1, tag, new KeyValuePair<string, object?>("finished_reason", r));
    }

    private static KeyValuePair<string, object?> Model(string model) => new("model_name", model);

    private Histogram<double> Hist(string name, string help, double[] bounds) =>
        Meter.CreateHistogram(name, "s", help, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = bounds });

    private void Gauge(string name, string help, Func<EngineStats, double?> value) =>
        Meter.CreateObservableGauge(name, () => Read(value), description: help);

    private void EngineCounter(string name, string help, Func<EngineStats, long> value) =>
        Meter.CreateObservableCounter(name, () => Read(s => value(s)).Select(m => new Measurement<long>((long)m.Value, m.Tags)), description: help);

    /// <summary>A speculative decoding counter, labelled by model and method, for engines that speculate.</summary>
    private void SpecCounter(string name, string help, Func<Hearth.Engine.Speculative.SpeculativeDecodingStats, long> value) =>
        Meter.CreateObservableCounter(name, () => ReadSpeculative().Select(e => new Measurement<long>(value(e.Stats), e.Tags)), description: help);

    private IEnumerable<Measurement<long>> ReadAcceptedPerPosition() =>
        ReadSpeculative().SelectMany(e => e.Stats.AcceptedPerPosition.Select((v, i) =>
            new Measurement<long>(v, [.. e.Tags, new KeyValuePair<string, object?>("position", i.ToString(System.Globalization.CultureInfo.InvariantCulture))])));

    private IEnumerable<(Hearth.Engine.Speculative.SpeculativeDecodingStats Stats, KeyValuePair<string, object?>[] Tags)> ReadSpeculative()
    {
        var loaded = _loaded();
        foreach (var (model, engine) in _engines.Where(e => loaded.Contains(e.Key)).OrderBy(e => e.Key, StringComparer.Ordinal))
            if (engine.GetStats().Speculative is { } spec)
                yield return (spec, [Model(model), new KeyValuePair<string, object?>("method", spec.Method)]);
    }

    /// <summary>One measurement per loaded engine that reports the value, in model-name order.</summary>
    private IEnumerable<Measurement<double>> Read(Func<EngineStats, double?> value)
    {
        var loaded = _loaded();
        foreach (var (model, engine) in _engines.Where(e => loaded.Contains(e.Key)).OrderBy(e => e.Key, StringComparer.Ordinal))
            if (value(engine.GetStats()) is { } v) yield return new Measurement<double>(v, Model(model));
    }
}
