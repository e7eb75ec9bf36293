using System.Text.Json;
using Hearth.Bench.Metrics;
using Hearth.Bench.Running;

namespace Hearth.Bench.Reports;

/// <summary>Writes every figure of a report as JSON (snake_case names; latencies in milliseconds under
/// *_ms, per-request timings in seconds). Written by hand with Utf8JsonWriter: explicit field names and no
/// reflection, so it keeps working under trimming and Native AOT.</summary>
public static class JsonReport
{
    public static void Write(BenchReport report, string path)
    {
        using var file = File.Create(path);
        Write(report, file);
    }

    public static void Write(BenchReport report, Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        var c = report.Config;
        w.WriteStartObject();
        w.WriteString("tool", "hearth bench");
        w.WriteString("started_utc", report.StartedUtc);
        w.WriteStartObject("config");
        w.WriteString("mode", c.Mode == LoadMode.Concurrency ? "concurrency" : "rate");
        w.WriteStartArray("levels");
        foreach (var l in c.Levels) w.WriteNumberValue(l);
        w.WriteEndArray();
        w.WriteString("endpoint", c.Endpoint.ToString().ToLowerInvariant());
        if (c.Requests is { } n) w.WriteNumber("requests", n); else w.WriteNull("requests");
        w.WriteNumber("duration_s", c.Duration.TotalSeconds);
        w.WriteNumber("input_len", c.Workload.InputLen);
        w.WriteNumber("output_len", c.Workload.OutputLen);
        w.WriteNumber("range_ratio", c.Workload.RangeRatio);
        w.WriteNumber("prefix_len", c.Workload.PrefixLen);
        w.WriteString("dataset", c.Workload.ShareGptPath);
        w.WriteBoolean("ignore_eos", c.IgnoreEos);
        w.WriteNumber("seed", c.Seed);
        w.WriteNumber("warmup", c.Warmup);
        w.WriteString("tokenizer", c.TokenizerPath);
        if (c.Slo is { } slo)
        {
            w.WriteStartObject("slo");
            Opt(w, "ttft_ms", slo.TtftMs);
            Opt(w, "tpot_ms", slo.TpotMs);
            Opt(w, "e2el_ms", slo.E2elMs);
            w.WriteEndObject();
        }
        else w.WriteNull("slo");
        w.WriteEndObject();
        w.WriteString("workload", report.WorkloadNote);

        w.WriteStartArray("targets");
        foreach (var t in report.Targets)
        {
            w.WriteStartObject();
            w.WriteString("label", t.Target.Label);
            w.WriteString("url", t.Target.BaseUrl.ToString());
            w.WriteString("model", t.Target.Model);
            w.WriteString("warmup_error", t.WarmupError);
            w.WriteStartArray("levels");
            foreach (var l in t.Levels) Level(w, l);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WriteStartArray("ratios");
        foreach (var r in Comparison.Ratios(report))
        {
            w.WriteStartObject();
            w.WriteNumber("level", r.Level);
            Opt(w, "request_throughput", r.RequestThroughput);
            Opt(w, "output_throughput", r.OutputThroughput);
            Opt(w, "total_token_throughput", r.TotalTokenThroughput);
            Opt(w, "median_ttft", r.MedianTtft);
            Opt(w, "p99_ttft", r.P99Ttft);
            Opt(w, "mean_tpot", r.MeanTpot);
            Opt(w, "p99_itl", r.P99Itl);
            Opt(w, "p99_e2el", r.P99E2el);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Level(Utf8JsonWriter w, LevelResult l)
    {
        var m = l.Metrics;
        w.WriteStartObject();
        w.WriteNumber("level", l.Plan.Value);
        w.WriteNumber("max_requests", l.Plan.MaxRequests);
        w.WriteNumber("completed", m.Completed);
        w.WriteNumber("failed", m.Failed);
        w.WriteNumber("cut_off", m.Incomplete);
        w.WriteNumber("retries", m.Retries);
        w.WriteNumber("duration_s", m.DurationS);
        w.WriteNumber("total_input_tokens", m.TotalInputTokens);
        w.WriteNumber("total_output_tokens", m.TotalOutputTokens);
        w.WriteNumber("request_throughput", m.RequestThroughput);
        w.WriteNumber("output_throughput", m.OutputThroughput);
        w.WriteNumber("total_token_throughput", m.TotalTokenThroughput);
        if (m.GoodRequests is { } g) w.WriteNumber("good_requests", g); else w.WriteNull("good_requests");
        Opt(w, "goodput", m.Goodput);
        Dist(w, "ttft_ms", m.Ttft);
        Dist(w, "tpot_ms", m.Tpot);
        Dist(w, "itl_ms", m.Itl);
        Dist(w, "e2el_ms", m.E2el);
        w.WriteStartArray("errors");
        foreach (var e in m.Errors) w.WriteStringValue(e);
        w.WriteEndArray();
        w.WriteStartArray("requests");
        foreach (var r in l.Requests)
        {
            w.WriteStartObject();
            w.WriteNumber("send_s", r.SendOffset);
            w.WriteBoolean("success", r.Success);
            if (r.Error is { } e) w.WriteString("error", e);
            if (r.Retries > 0) w.WriteNumber("retries", r.Retries);
            w.WriteNumber("ttft_s", r.Ttft);
            w.WriteNumber("e2el_s", r.EndTime);
            w.WriteNumber("prompt_tokens", r.PromptTokens);
            w.WriteNumber("output_tokens", r.OutputTokens);
            w.WriteNumber("content_chunks", r.ChunkTimes.Count);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Dist(Utf8JsonWriter w, string name, Distribution d)
    {
        w.WriteStartObject(name);
        w.WriteNumber("count", d.Count);
        w.WriteNumber("mean", d.Mean);
        w.WriteNumber("std", d.Std);
        w.WriteNumber("median", d.Median);
        w.WriteNumber("p90", d.P90);
        w.WriteNumber("p99", d.P99);
        w.WriteNumber("max", d.Max);
        w.WriteEndObject();
    }

    private static void Opt(Utf8JsonWriter w, string name, double? v)
    {
        if (v is { } x) w.WriteNumber(name, x); else w.WriteNull(name);
    }
}
