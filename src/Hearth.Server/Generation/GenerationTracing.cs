using System.Diagnostics;

namespace Hearth.Server.Generation;

/// <summary>The spans of one generation request, under the HTTP request's span: "queue" (submitted → first scheduled
/// step), "prefill" (→ first token) and "decode" (→ last token), written when the request ends, with the request's
/// token counts and time to first token as attributes (OpenTelemetry GenAI semantic conventions: gen_ai.*). Costs
/// nothing when no tracer listens.</summary>
internal static class GenerationTracing
{
    public const string SourceName = "Hearth.Server";
    private static readonly ActivitySource Source = new(SourceName);

    /// <param name="parent">the request's span (Activity.Current when the request started), or null</param>
    /// <param name="submitted">Stopwatch timestamps: submitted, first token (0: none), last token (0: none)</param>
    public static void Record(Activity? parent, string model, long submitted, TimeSpan? queueTime, long firstToken, long lastToken,
        int promptTokens, int cachedPromptTokens, int completionTokens, IReadOnlyList<string> finishReasons)
    {
        if (parent is null || !Source.HasListeners()) return;
        var nowTs = Stopwatch.GetTimestamp();
        var nowUtc = DateTime.UtcNow;
        DateTime At(long ts) => nowUtc - Stopwatch.GetElapsedTime(ts, nowTs);
        var start = At(submitted);
        var end = lastToken != 0 ? At(lastToken) : nowUtc;
        var first = firstToken != 0 ? At(firstToken) : end;
        var scheduled = queueTime is { } q ? Min(start + q, first) : start;

        parent.SetTag("gen_ai.request.model", model);
        parent.SetTag("gen_ai.usage.input_tokens", promptTokens);
        parent.SetTag("gen_ai.usage.output_tokens", completionTokens);
        parent.SetTag("gen_ai.response.finish_reasons", finishReasons.ToArray());
        if (firstToken != 0) parent.SetTag("gen_ai.server.time_to_first_token", (first - start).TotalSeconds);

        Span(parent, "queue", start, scheduled, [new("gen_ai.request.model", model)]);
        Span(parent, "prefill", scheduled, first, [new("gen_ai.request.model", model), new("gen_ai.usage.input_tokens", promptTokens),
            new("hearth.usage.cached_input_tokens", cachedPromptTokens)]);
        Span(parent, "decode", first, end, [new("gen_ai.request.model", model), new("gen_ai.usage.output_tokens", completionTokens),
            new("gen_ai.server.time_to_first_token", (first - start).TotalSeconds)]);
    }

    private static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;

    private static void Span(Activity parent, string name, DateTime from, DateTime to, KeyValuePair<string, object?>[] tags)
    {
        using var a = Source.StartActivity(name, ActivityKind.Internal, parent.Context, tags, startTime: from);
        if (a is null) return;
        a.SetEndTime(to < from ? from : to);
    }
}
