using System.Collections.Concurrent;
using System.Text;
using Hearth.Engine;

namespace Hearth.Server.Metrics;

/// <summary>Server-side metrics with vLLM-style names (prefix "hearth:"), labelled by model, rendered in the
/// Prometheus text exposition format. Counters of tokens and finished requests are counted here (they must never go
/// backwards, and an engine's own counters restart when a model is reloaded); gauges come from engine snapshots.</summary>
public sealed class ServerMetrics
{
    // Bucket bounds as vLLM uses them (seconds).
    private static readonly double[] TtftBounds = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0];
    private static readonly double[] ItlBounds = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0];
    private static readonly double[] RequestBounds = [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0];

    private sealed class PerModel
    {
        public long PromptTokens, GenerationTokens;
        public readonly ConcurrentDictionary<string, long> Finished = new();
        public readonly Histogram Ttft = new(TtftBounds), Itl = new(ItlBounds), E2e = new(RequestBounds), Queue = new(RequestBounds);
    }

    private readonly ConcurrentDictionary<string, PerModel> _models = new();
    private readonly ConcurrentDictionary<string, IGenerationEngine> _engines = new();

    private PerModel For(string model) => _models.GetOrAdd(model, _ => new PerModel());

    /// <summary>Remembers a model's engine so /metrics can read its gauges (called whenever a lease is taken).</summary>
    public void TrackEngine(string model, IGenerationEngine engine) => _engines[model] = engine;

    public void ObserveTimeToFirstToken(string model, TimeSpan t) => For(model).Ttft.Observe(t.TotalSeconds);
    public void ObserveInterTokenLatency(string model, TimeSpan t) => For(model).Itl.Observe(t.TotalSeconds);
    public void ObserveQueueTime(string model, TimeSpan t) => For(model).Queue.Observe(t.TotalSeconds);

    /// <summary>Records a finished request: its end-to-end latency, its token counts and why each choice finished.</summary>
    public void RequestFinished(string model, TimeSpan e2e, int promptTokens, int generationTokens, IEnumerable<string> finishedReasons)
    {
        var m = For(model);
        m.E2e.Observe(e2e.TotalSeconds);
        Interlocked.Add(ref m.PromptTokens, promptTokens);
        Interlocked.Add(ref m.GenerationTokens, generationTokens);
        foreach (var r in finishedReasons) m.Finished.AddOrUpdate(r, 1, (_, c) => c + 1);
    }

    /// <summary>Renders all metrics; <paramref name="loaded"/> names the models whose engines are still loaded.</summary>
    public string Render(IReadOnlyCollection<string> loaded)
    {
        var sb = new StringBuilder(8192);
        var engines = _engines.Where(e => loaded.Contains(e.Key)).OrderBy(e => e.Key, StringComparer.Ordinal)
            .Select(e => (Label: Label(e.Key), Stats: e.Value.GetStats())).ToList();
        var models = _models.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => (Label: Label(m.Key), m.Value)).ToList();

        Gauge(sb, "hearth:num_requests_running", "Requests in the running batch.", engines.Select(e => (e.Label, (double)e.Stats.RunningRequests)));
        Gauge(sb, "hearth:num_requests_waiting", "Requests waiting to be scheduled.", engines.Select(e => (e.Label, (double)e.Stats.WaitingRequests)));
        Gauge(sb, "hearth:kv_cache_usage_perc", "Fraction of KV-cache blocks in use (0-1).", engines.Select(e => (e.Label, e.Stats.KvCacheUsage)));
        Gauge(sb, "hearth:kv_cache_blocks_used", "KV-cache blocks in use.", engines.Select(e => (e.Label, (double)e.Stats.UsedKvBlocks)));
        Gauge(sb, "hearth:kv_cache_blocks_total", "KV-cache blocks allocated.", engines.Select(e => (e.Label, (double)e.Stats.TotalKvBlocks)));
        Gauge(sb, "hearth:device_memory_used_bytes", "GPU memory in use on the model's device (models on a GPU only).",
            engines.Where(e => e.Stats.DeviceMemoryUsedBytes != null).Select(e => (e.Label, (double)e.Stats.DeviceMemoryUsedBytes!.Value)));
        Gauge(sb, "hearth:device_memory_total_bytes", "GPU memory of the model's device (models on a GPU only).",
            engines.Where(e => e.Stats.DeviceMemoryTotalBytes != null).Select(e => (e.Label, (double)e.Stats.DeviceMemoryTotalBytes!.Value)));
        Counter(sb, "hearth:prefix_cache_queries_total", "Prompt tokens looked up in the prefix cache (engine lifetime).", engines.Select(e => (e.Label, (double)e.Stats.PrefixCacheQueries)));
        Counter(sb, "hearth:prefix_cache_hits_total", "Prompt tokens served from the prefix cache (engine lifetime).", engines.Select(e => (e.Label, (double)e.Stats.PrefixCacheHits)));
        Counter(sb, "hearth:num_preemptions_total", "Sequences preempted for lack of KV blocks (engine lifetime).", engines.Select(e => (e.Label, (double)e.Stats.PreemptionsTotal)));
        Counter(sb, "hearth:prompt_tokens_total", "Prompt tokens of finished requests.", models.Select(m => (m.Label, (double)Interlocked.Read(ref m.Value.PromptTokens))));
        Counter(sb, "hearth:generation_tokens_total", "Generated tokens of finished requests.", models.Select(m => (m.Label, (double)Interlocked.Read(ref m.Value.GenerationTokens))));
        Counter(sb, "hearth:request_success_total", "Finished completions by finish reason.",
            models.SelectMany(m => m.Value.Finished.OrderBy(f => f.Key, StringComparer.Ordinal)
                .Select(f => ($"{m.Label},finished_reason=\"{Escape(f.Key)}\"", (double)f.Value))));
        Hist(sb, "hearth:time_to_first_token_seconds", "Time to first token.", models, m => m.Ttft);
        Hist(sb, "hearth:inter_token_latency_seconds", "Time between consecutive output tokens.", models, m => m.Itl);
        Hist(sb, "hearth:e2e_request_latency_seconds", "End-to-end request latency.", models, m => m.E2e);
        Hist(sb, "hearth:request_queue_time_seconds", "Time a request waited before its first scheduled step.", models, m => m.Queue);
        return sb.ToString();
    }

    private static string Label(string model) => $"model_name=\"{Escape(model)}\"";
    private static string Escape(string s) => s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    private static void Header(StringBuilder sb, string name, string help, string type) =>
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Gauge(StringBuilder sb, string name, string help, IEnumerable<(string Labels, double Value)> samples) => Samples(sb, name, help, "gauge", samples);
    private static void Counter(StringBuilder sb, string name, string help, IEnumerable<(string Labels, double Value)> samples) => Samples(sb, name, help, "counter", samples);

    private static void Samples(StringBuilder sb, string name, string help, string type, IEnumerable<(string Labels, double Value)> samples)
    {
        Header(sb, name, help, type);
        foreach (var (labels, value) in samples)
            sb.Append(name).Append('{').Append(labels).Append("} ").Append(Histogram.Fmt(value)).Append('\n');
    }

    private static void Hist(StringBuilder sb, string name, string help, List<(string Label, PerModel Value)> models, Func<PerModel, Histogram> pick)
    {
        Header(sb, name, help, "histogram");
        foreach (var (label, m) in models) pick(m).Write(sb, name, label);
    }
}
