using System.Diagnostics;
using System.Runtime.CompilerServices;
using Hearth.Engine;
using Hearth.Server.Http;
using Hearth.Server.Metrics;
using Hearth.Store.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Hearth.Server.Generation;

/// <summary>One submitted request: reads its deltas, measures timings (TTFT, inter-token latency) and, when
/// disposed, records the request's metrics and log fields once. Created by <see cref="GenerationPipeline"/>.</summary>
public sealed class GenerationRun : IDisposable
{
    private readonly HttpContext _ctx;
    private readonly ServerMetrics _metrics;
    private readonly System.Threading.Channels.ChannelReader<GenerationDelta> _reader;
    private readonly long _submitted = Stopwatch.GetTimestamp();
    private readonly long[] _lastTokenAt;
    private readonly string?[] _finish;
    private readonly int[] _promptTokens, _cachedPromptTokens; // per prompt (completions' prompt arrays run several)
    private bool _queueObserved, _disposed;
    private TimeSpan? _queueTime;
    private readonly Activity? _span = Activity.Current; // the HTTP request's span when tracing is on

    public LoadedModel Model { get; }
    public SamplingParams Sampling { get; }
    /// <summary>The prompts as submitted (one, except for completions' prompt arrays).</summary>
    public IReadOnlyList<int[]> Prompts { get; }
    /// <summary>The first (usually the only) prompt.</summary>
    public IReadOnlyList<int> Prompt => Prompts[0];
    /// <summary>What thinking means for this request (a thinking model), or null.</summary>
    public ReasoningPlan? Reasoning { get; private init; }
    /// <summary>How long acquiring the model took (loading it when it was not loaded).</summary>
    public TimeSpan LoadTime { get; }
    /// <summary>Choices in all: n per prompt; prompt p's choices are p·n … p·n + n − 1.</summary>
    public int N => _finish.Length;
    public int PromptTokens => _promptTokens.Sum();
    public int CachedPromptTokens => _cachedPromptTokens.Sum();
    public int CompletionTokens { get; private set; }
    /// <summary>Stopwatch timestamps of the first and the latest delta carrying tokens (0 until then).</summary>
    public long FirstTokenAt { get; private set; }
    public long LastTokenAt { get; private set; }
    public long SubmittedAt => _submitted;

    private GenerationRun(HttpContext ctx, LoadedModel model, SamplingParams sampling, System.Threading.Channels.ChannelReader<GenerationDelta> reader, IReadOnlyList<int[]> prompts, TimeSpan loadTime)
    {
        var n = sampling.N * prompts.Count;
        _ctx = ctx;
        _metrics = ctx.RequestServices.GetRequiredService<ServerMetrics>();
        Model = model;
        Sampling = sampling;
        _reader = reader;
        _lastTokenAt = new long[n];
        _finish = new string?[n];
        Prompts = prompts;
        _promptTokens = prompts.Select(p => p.Length).ToArray();
        _cachedPromptTokens = new int[prompts.Count];
        LoadTime = loadTime;
    }

    /// <summary>Submits the request; the engine's <see cref="EngineBusyException"/>/<see cref="InvalidRequestException"/>
    /// propagate to the error mapping. The client's disconnect (RequestAborted) cancels the request in the engine.</summary>
    public static GenerationRun Start(HttpContext ctx, LoadedModel model, IReadOnlyList<int[]> prompts, SamplingParams sampling, TimeSpan loadTime,
        ReasoningPlan? reasoning = null, Hearth.Engine.Lora.LoraSelection? lora = null)
        // lora: the adapters to run with (callers pass the model's own, model.Lora, unless the request chose others).
    {
        var record = RequestRecord.Of(ctx);
        record.PromptTokens = prompts.Sum(p => p.Length);
        var reader = PromptBatch.Submit(model.Engine, record.Id, record.StartTime, prompts, sampling, ctx.RequestAborted, lora);
        if (lora is not null) ctx.RequestServices.GetRequiredService<ServerMetrics>().LoraRequestStarted(model.EngineName, lora.ToString());
        return new GenerationRun(ctx, model, sampling, reader, prompts, loadTime) { Reasoning = reasoning };
    }

    /// <summary>The deltas, observed for timing and usage as they pass.</summary>
    public async IAsyncEnumerable<GenerationDelta> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _ctx.RequestAborted);
        await foreach (var d in _reader.ReadAllAsync(linked.Token))
        {
            Observe(d);
            yield return d;
        }
    }

    /// <summary>All choices finished.</summary>
    public bool Finished => _finish.All(f => f is not null);

    private void Observe(GenerationDelta d)
    {
        if ((uint)d.Index >= (uint)N) throw new InvalidOperationException($"engine sent choice {d.Index} for a request of n={N}");
        var now = Stopwatch.GetTimestamp();
        if (!_queueObserved && d.QueueTime is { } q)
        {
            _queueObserved = true;
            _queueTime = q;
            _metrics.ObserveQueueTime(Model.Name, q);
        }
        if (d.TokenIds.Count > 0)
        {
            if (FirstTokenAt == 0)
            {
                FirstTokenAt = now;
                var ttft = Stopwatch.GetElapsedTime(RequestRecord.Of(_ctx).StartTimestamp, now);
                RequestRecord.Of(_ctx).TimeToFirstToken = ttft;
                _metrics.ObserveTimeToFirstToken(Model.Name, ttft);
            }
            else if (_lastTokenAt[d.Index] != 0)
            {
                // One observation per step that produced tokens for this choice.
                _metrics.ObserveInterTokenLatency(Model.Name, Stopwatch.GetElapsedTime(_lastTokenAt[d.Index], now));
            }
            _lastTokenAt[d.Index] = now;
            LastTokenAt = now;
        }
        if (d.Finish is { } f)
        {
            _finish[d.Index] = ReasonName(f);
            var prompt = d.Index / Sampling.N;
            if (d.PromptTokens > 0) _promptTokens[prompt] = d.PromptTokens;
            _cachedPromptTokens[prompt] = Math.Max(_cachedPromptTokens[prompt], d.CachedPromptTokens);
            CompletionTokens += d.CompletionTokens;
        }
    }

    /// <summary>OpenAI/vLLM finish_reason strings.</summary>
    public static string ReasonName(FinishReason r) => r switch
    {
        FinishReason.Stop => "stop",
        FinishReason.Length => "length",
        FinishReason.Cancelled => "abort",
        _ => "error",
    };

    /// <summary>Records metrics and log fields; choices that never finished (client gone, failure) count as "abort".</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        var record = RequestRecord.Of(_ctx);
        record.PromptTokens = PromptTokens;
        record.CompletionTokens = CompletionTokens;
        _metrics.RequestFinished(Model.Name, Stopwatch.GetElapsedTime(record.StartTimestamp), PromptTokens, CompletionTokens,
            _finish.Select(f => f ?? "abort"));
        GenerationTracing.Record(_span, Model.Name, _submitted, _queueTime, FirstTokenAt, LastTokenAt, PromptTokens, CachedPromptTokens, CompletionTokens,
            _finish.Select(f => f ?? "abort").ToList());
    }
}
