using System.Text.Json;
using Hearth.Bench.Client;
using Hearth.Bench.Embeddings;
using Hearth.Bench.Running;
using Hearth.Bench.Workloads;
using Hearth.Core.Tokenizers;

namespace Hearth.Cli.Commands;

/// <summary>`hearth bench --endpoint embeddings`: validates the options that apply, runs <see cref="EmbeddingBench"/>,
/// prints the summary and writes the JSON file.</summary>
internal static class EmbeddingBenchRun
{
    public static async Task<int> RunAsync(IReadOnlyList<Target> targets, LoadMode mode, IReadOnlyList<double> levels, int? requests,
        int batch, int inputLen, ITokenizer? tokenizer, int seed, string? jsonPath, CancellationToken ct)
    {
        if (mode != LoadMode.Concurrency) throw new FormatException("--endpoint embeddings takes --concurrency (a closed-loop sweep), not --rate");
        if (levels.Any(l => l < 1 || l != Math.Floor(l) || l > 10_000)) throw new FormatException("--concurrency values must be whole numbers from 1 to 10000");
        if (batch is < 1 or > 2048) throw new FormatException("--batch must be from 1 to 2048");
        if (inputLen < 1) throw new FormatException("--input-len must be at least 1");
        if (requests is < 1) throw new FormatException("--requests must be at least 1");
        if (jsonPath is not null && Path.GetDirectoryName(Path.GetFullPath(jsonPath)) is { } dir && !Directory.Exists(dir))
            throw new FormatException($"output folder does not exist: {dir}");
        var bench = new EmbeddingBench(targets, levels.Select(l => (int)l).ToList(), requests ?? 64, batch, inputLen, new PromptFactory(tokenizer), seed);
        Console.WriteLine($"hearth bench: embeddings, concurrency {string.Join(",", levels)}; {requests ?? 64} requests of {batch} texts of ~{inputLen} tokens per level"
            + (tokenizer is null ? " (no --tokenizer: lengths approximate)" : ""));
        List<EmbeddingLevel> results;
        try
        {
            results = await bench.RunAsync(Console.Out, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Console.Error.WriteLine("hearth bench: interrupted; no report written");
            return 130;
        }
        Console.WriteLine(EmbeddingBench.Summary(results));
        if (jsonPath is not null)
        {
            await using var f = File.Create(jsonPath);
            await using var w = new Utf8JsonWriter(f, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            w.WriteString("endpoint", "embeddings");
            w.WriteNumber("batch", batch);
            w.WriteNumber("input_len", inputLen);
            w.WriteStartArray("levels");
            foreach (var l in results)
            {
                w.WriteStartObject();
                w.WriteString("server", l.Target);
                w.WriteNumber("concurrency", l.Concurrency);
                w.WriteNumber("requests", l.Requests);
                w.WriteNumber("failed", l.Failed);
                w.WriteNumber("inputs", l.Inputs);
                w.WriteNumber("tokens", l.Tokens);
                w.WriteNumber("duration_s", l.DurationS);
                w.WriteNumber("inputs_per_s", l.InputsPerSecond);
                w.WriteNumber("tokens_per_s", l.TokensPerSecond);
                w.WriteNumber("latency_mean_ms", l.Latency.Mean);
                w.WriteNumber("latency_p50_ms", l.Latency.Median);
                w.WriteNumber("latency_p99_ms", l.Latency.P99);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            Console.WriteLine($"wrote {jsonPath}");
        }
        return results.Any(l => l.Inputs > 0) ? 0 : 1;
    }
}
