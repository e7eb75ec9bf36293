using System.Collections.Concurrent;
using System.Threading.Channels;
using Hearth.Engine;

namespace Hearth.Server.Tests.Fakes;

/// <summary>A scripted engine: each choice produces <see cref="Pieces"/> one per step (one token each, id 100+k),
/// honouring max_tokens (→ length), stop strings (→ stop, text cut before the match), n, logprobs and cancellation.
/// Timing and failures are controllable; every request and every observed cancellation is recorded.</summary>
public sealed class FakeEngine : IGenerationEngine
{
    public IReadOnlyList<string> Pieces { get; set; } = ["Once", " upon", " a", " time", "."];
    public TimeSpan TokenDelay { get; set; } = TimeSpan.Zero;
    /// <summary>Throw EngineBusyException from Submit.</summary>
    public bool Busy { get; set; }
    /// <summary>After this many tokens, finish every choice with an error.</summary>
    public int? FailAfter { get; set; }
    public int CachedPromptTokens { get; set; }
    /// <summary>Device memory (used, total) the engine reports, as a model on a GPU does; null on the CPU.</summary>
    public (long Used, long Total)? DeviceMemory { get; set; }
    public TimeSpan? QueueTime { get; set; } = TimeSpan.FromMilliseconds(2);
    /// <summary>Speculative decoding counters the engine reports (null: it does not speculate).</summary>
    public Hearth.Engine.Speculative.SpeculativeDecodingStats? Speculative { get; set; }
    /// <summary>The limits the HTTP layer validates against (the test models' context, vocabulary and n).</summary>
    public EngineLimits Limits { get; set; } = new(TestHost.ContextLength, TestHost.ContextLength, 259, 64);

    public ConcurrentQueue<GenerationRequest> Requests { get; } = new();
    public GenerationRequest LastRequest => Requests.Last();
    public TaskCompletionSource<string> Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _running;

    public ChannelReader<GenerationDelta> Submit(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        if (Busy) throw new EngineBusyException("waiting queue is full");
        Requests.Enqueue(request);
        var channel = Channel.CreateUnbounded<GenerationDelta>();
        _ = Task.Run(() => RunAsync(request, channel.Writer, cancellationToken), CancellationToken.None);
        return channel.Reader;
    }

    private async Task RunAsync(GenerationRequest r, ChannelWriter<GenerationDelta> w, CancellationToken ct)
    {
        Interlocked.Increment(ref _running);
        try
        {
            var s = r.Sampling;
            var texts = new string[s.N];
            var counts = new int[s.N];
            var done = new bool[s.N];
            Array.Fill(texts, "");
            for (var step = 0; done.Any(d => !d); step++)
            {
                if (TokenDelay > TimeSpan.Zero) await Task.Delay(TokenDelay, ct);
                ct.ThrowIfCancellationRequested();
                for (var i = 0; i < s.N; i++)
                {
                    if (done[i]) continue;
                    if (FailAfter is { } f && step >= f)
                    {
                        done[i] = true;
                        await w.WriteAsync(new GenerationDelta { Index = i, Finish = FinishReason.Error, Error = "scripted failure", PromptTokens = r.PromptTokens.Count, CompletionTokens = counts[i] }, ct);
                        continue;
                    }
                    var piece = step < Pieces.Count ? Pieces[step] : "";
                    var text = piece;
                    FinishReason? finish = null;
                    string? stopReason = null;
                    var full = texts[i] + piece;
                    foreach (var stop in s.Stop)
                    {
                        var at = full.IndexOf(stop, StringComparison.Ordinal);
                        if (at >= 0) { text = full[texts[i].Length..Math.Max(at, texts[i].Length)]; finish = FinishReason.Stop; stopReason = stop; break; }
                    }
                    counts[i]++;
                    texts[i] += text;
                    if (finish is null && step + 1 >= Pieces.Count && !s.IgnoreEos) finish = FinishReason.Stop;
                    if (finish is null && counts[i] >= s.MaxTokens) finish = FinishReason.Length;
                    var id = 100 + step % 100;
                    IReadOnlyList<TokenLogprob>? lps = s.Logprobs is { } k
                        ? [new TokenLogprob(id, -0.5f, Enumerable.Range(0, k).Select(j => new TopLogprob(id + j, -0.5f - j)).ToList())]
                        : null;
                    done[i] = finish is not null;
                    await w.WriteAsync(new GenerationDelta
                    {
                        Index = i, TokenIds = [id], Text = text, Logprobs = lps, Finish = finish, StopReason = stopReason,
                        QueueTime = step == 0 ? QueueTime : null,
                        PromptTokens = finish is null ? 0 : r.PromptTokens.Count,
                        CachedPromptTokens = finish is null ? 0 : CachedPromptTokens,
                        CompletionTokens = finish is null ? 0 : counts[i],
                    }, ct);
                }
            }
            w.TryComplete();
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Cancelled.TrySetResult(r.RequestId);
            w.TryComplete();
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    public EngineStats GetStats() => new()
    {
        RunningRequests = Volatile.Read(ref _running), WaitingRequests = 0, TotalKvBlocks = 64, UsedKvBlocks = 16,
        PrefixCacheQueries = 10, PrefixCacheHits = 4,
        DeviceMemoryUsedBytes = DeviceMemory?.Used, DeviceMemoryTotalBytes = DeviceMemory?.Total,
        Speculative = Speculative,
    };

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
