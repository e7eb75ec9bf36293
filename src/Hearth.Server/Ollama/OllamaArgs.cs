using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Server.Generation;
using Hearth.Server.Http;

namespace Hearth.Server.Ollama;

/// <summary>Parsing of Ollama's request conventions: `options`, `keep_alive` and `format`.</summary>
public static class OllamaArgs
{
    /// <summary>Sampling from `options` (Ollama names). num_ctx and runner options (num_thread, num_gpu …) are
    /// accepted and ignored: the server fixes those at load time.</summary>
    public static SamplingBuilder Options(JsonArgs? o)
    {
        var s = new SamplingBuilder();
        if (o is null) return s;
        s.Temperature = (float?)o.Number("temperature", 0, 100);
        s.TopK = o.Int("top_k", 0);
        s.TopP = (float?)o.Number("top_p", 0, 1);
        s.MinP = (float?)o.Number("min_p", 0, 1);
        s.RepetitionPenalty = (float?)o.Number("repeat_penalty", 0, 100);
        s.PresencePenalty = (float?)o.Number("presence_penalty", -100, 100);
        s.FrequencyPenalty = (float?)o.Number("frequency_penalty", -100, 100);
        if (o.Integer("seed") is { } seed && seed >= 0) s.Seed = (ulong)seed; // negative: random, as in Ollama
        // -1: until the context is full; -2: fill the context. Both mean "no limit" here.
        if (o.Int("num_predict") is { } np && np > 0) s.MaxTokens = np;
        s.Stop = o.StringOrArray("stop");
        o.Int("num_ctx", 0);
        if (s.RepetitionPenalty == 0) s.RepetitionPenalty = 1; // Ollama treats 0 as "off"
        if (s.TopP == 0) throw ApiException.BadRequest("'options.top_p' must be greater than 0", "options.top_p");
        return s;
    }

    /// <summary>keep_alive: a number of seconds or a Go duration ("5m", "1h30m", "300ms"); negative keeps the model
    /// loaded indefinitely (<see cref="Timeout.InfiniteTimeSpan"/>); null when absent.</summary>
    public static TimeSpan? KeepAlive(JsonArgs a)
    {
        var node = a.Object["keep_alive"];
        if (node is null) return null;
        var kind = node.GetValueKind();
        if (kind == JsonValueKind.Number) return Normalize(Seconds(node.GetValue<double>()));
        if (kind == JsonValueKind.String && ParseDuration(node.GetValue<string>()) is { } d) return Normalize(d);
        throw ApiException.BadRequest("'keep_alive' must be a number of seconds or a duration such as \"5m\"", "keep_alive");
    }

    private static TimeSpan Normalize(TimeSpan t) => t < TimeSpan.Zero ? Timeout.InfiniteTimeSpan : t;

    /// <summary>Longer than this (about 100 years, or beyond what a TimeSpan holds) means "keep it loaded" (found by fuzzing:
    /// 9223372036854775807 or "1e999" seconds overflowed TimeSpan).</summary>
    private const double ForeverSeconds = 100 * 365.25 * 86400;

    private static TimeSpan Seconds(double seconds) => Math.Abs(seconds) < ForeverSeconds ? TimeSpan.FromSeconds(seconds) : Timeout.InfiniteTimeSpan;

    /// <summary>Go's time.ParseDuration subset: [-]N(ns|us|µs|ms|s|m|h)…, or a bare number of seconds.</summary>
    public static TimeSpan? ParseDuration(string s)
    {
        s = s.Trim();
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var secs)) return double.IsNaN(secs) ? null : Seconds(secs);
        var negative = s.StartsWith('-');
        if (negative) s = s[1..];
        if (s.Length == 0) return null;
        double totalMs = 0;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
            if (!double.TryParse(s.AsSpan(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var n)) return null;
            var unitStart = i;
            while (i < s.Length && !char.IsAsciiDigit(s[i]) && s[i] != '.') i++;
            double? scale = s[unitStart..i] switch
            {
                "ns" => 1e-6, "us" or "µs" => 1e-3, "ms" => 1, "s" => 1000, "m" => 60_000, "h" => 3_600_000, _ => null,
            };
            if (scale is null) return null;
            totalMs += n * scale.Value;
        }
        return double.IsNaN(totalMs) ? null : Seconds((negative ? -totalMs : totalMs) / 1000);
    }

    /// <summary>`think`: true/false, or gpt-oss-style "low"/"medium"/"high" (thinking on); absent: the model's default.</summary>
    public static ReasoningSettings? Think(JsonArgs a)
    {
        var t = a.Object["think"];
        if (t is null) return null;
        if (t.GetValueKind() is JsonValueKind.True or JsonValueKind.False) return new ReasoningSettings("think", t.GetValue<bool>());
        if (t.GetValueKind() == JsonValueKind.String && t.GetValue<string>() is "low" or "medium" or "high") return new ReasoningSettings("think", true);
        throw ApiException.BadRequest("'think' must be true, false, \"low\", \"medium\" or \"high\"", "think");
    }

    /// <summary>`format`: "json" (any JSON object) or a JSON schema object, enforced. "" or absent: no constraint.</summary>
    public static StructuredOutput? Format(JsonArgs a)
    {
        var f = a.Object["format"];
        if (f is null) return null;
        if (f is JsonObject schema) return new StructuredOutput(Hearth.Engine.Structured.OutputConstraint.Schema(schema.ToJsonString()), "format");
        if (f.GetValueKind() == JsonValueKind.String && f.GetValue<string>() is "json" or "")
            return f.GetValue<string>() == "" ? null : new StructuredOutput(Hearth.Engine.Structured.OutputConstraint.Json(), "format");
        throw ApiException.BadRequest("'format' must be \"json\" or a JSON schema object", "format");
    }
}
