using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Hearth.Bench.Client;
using Hearth.Bench.Metrics;
using Hearth.Bench.Reports;
using Hearth.Bench.Workloads;

namespace Hearth.Bench.Embeddings;

/// <summary>One level's result: inputs and tokens embedded per second, request latency, failures.</summary>
public sealed record EmbeddingLevel(string Target, int Concurrency, int Requests, int Failed, int Inputs, long Tokens,
    double DurationS, Distribution Latency)
{
    public double InputsPerSecond => Inputs / DurationS;
    public double TokensPerSecond => Tokens / DurationS;
}

/// <summary>`hearth bench --endpoint embeddings`: a closed-loop concurrency sweep against POST /v1/embeddings
/// (any OpenAI-compatible server). Every request carries <c>batch</c> random texts of about <c>inputLen</c> tokens;
/// tokens counted are the server's usage.prompt_tokens (special tokens included), else the prompts' own count.
/// With two targets the levels alternate between them, so a shared machine's noise falls on both.</summary>
public sealed class EmbeddingBench(IReadOnlyList<Target> targets, IReadOnlyList<int> levels, int requests, int batch,
    int inputLen, PromptFactory prompts, int seed)
{
    public async Task<List<EmbeddingLevel>> RunAsync(TextWriter output, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
        var results = new List<EmbeddingLevel>();
        foreach (var t in targets) await SendAsync(http, t, Texts(1, seed ^ 0x77), ct); // warm-up (loads the model)
        foreach (int level in levels)
            foreach (var t in targets)
            {
                var r = await LevelAsync(http, t, level, Texts(requests * batch, seed + level), ct);
                output.WriteLine($"[{t.Label}] concurrency {level}: {r.InputsPerSecond:F1} inputs/s, {r.TokensPerSecond:F0} tokens/s, latency p50 {r.Latency.Median:F0} ms, failed {r.Failed}");
                results.Add(r);
            }
        return results;
    }

    private List<string> Texts(int count, int levelSeed)
    {
        var rng = new Random(levelSeed);
        return Enumerable.Range(0, count).Select(_ => prompts.Make(inputLen, rng).Text).ToList();
    }

    private async Task<EmbeddingLevel> LevelAsync(HttpClient http, Target target, int concurrency, List<string> texts, CancellationToken ct)
    {
        var latencies = new List<double>();
        int failed = 0, next = -1, inputs = 0;
        long tokens = 0;
        var start = Stopwatch.GetTimestamp();
        async Task Worker()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                var chunk = texts.GetRange(i * batch, batch);
                var sent = Stopwatch.GetTimestamp();
                var (ok, used) = await SendAsync(http, target, chunk, ct);
                lock (latencies)
                {
                    if (!ok) { failed++; continue; }
                    latencies.Add(Stopwatch.GetElapsedTime(sent).TotalSeconds);
                    inputs += chunk.Count;
                    tokens += used ?? chunk.Sum(prompts.Count);
                }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Worker, ct)));
        double duration = Math.Max(Stopwatch.GetElapsedTime(start).TotalSeconds, 1e-9);
        return new EmbeddingLevel(target.Label, concurrency, requests, failed, inputs, tokens, duration, Distribution.FromSeconds(latencies));
    }

    /// <summary>One POST /v1/embeddings; returns success and usage.prompt_tokens when the server sent it.</summary>
    private static async Task<(bool Ok, long? Tokens)> SendAsync(HttpClient http, Target target, List<string> texts, CancellationToken ct)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["model"] = target.Model, ["input"] = texts },
            BenchJson.Default.DictionaryStringObject);
        using var req = new HttpRequestMessage(HttpMethod.Post, target.EmbeddingsUrl()) { Content = new ByteArrayContent(body) };
        req.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (target.ApiKey is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", target.ApiKey);
        try
        {
            using var resp = await http.SendAsync(req, ct);
            if (!resp.IsSuccessStatusCode) return (false, null);
            using var doc = await JsonDocument.ParseAsync(await resp.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
            if (!doc.RootElement.TryGetProperty("data", out var data) || data.GetArrayLength() != texts.Count) return (false, null);
            long? used = doc.RootElement.TryGetProperty("usage", out var u) && u.TryGetProperty("prompt_tokens", out var p) ? p.GetInt64() : null;
            return (true, used);
        }
        catch (HttpRequestException)
        {
            return (false, null);
        }
    }

    /// <summary>The summary table, with each level's ratio B/A when two servers were measured.</summary>
    public static string Summary(IReadOnlyList<EmbeddingLevel> levels)
    {
        var table = new TextTable("server", "concurrency", "inputs/s", "tokens/s", "latency mean ms", "p50 ms", "p99 ms", "failed", "tokens/s vs A");
        foreach (var l in levels)
        {
            var a = levels.First(x => x.Concurrency == l.Concurrency);
            table.Add(l.Target, l.Concurrency.ToString(), l.InputsPerSecond.ToString("F1"), l.TokensPerSecond.ToString("F0"),
                l.Latency.Mean.ToString("F0"), l.Latency.Median.ToString("F0"), l.Latency.P99.ToString("F0"), l.Failed.ToString(),
                (l.TokensPerSecond / Math.Max(a.TokensPerSecond, 1e-9)).ToString("F2") + "x");
        }
        return table.ToString();
    }
}
