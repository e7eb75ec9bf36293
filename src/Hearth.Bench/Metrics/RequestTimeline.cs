namespace Hearth.Bench.Metrics;

/// <summary>What the client recorded for one request: when it was sent (seconds from the start of the level),
/// when each content-bearing stream chunk arrived (seconds after sending), when the stream ended, and the token
/// counts. Everything the metrics need, and nothing else, so metrics are a pure function of these records.</summary>
/// <param name="SendOffset">Seconds from the level start to the moment the request was sent.</param>
/// <param name="Success">True when the server answered 2xx and streamed at least one content chunk to the end.</param>
/// <param name="Error">Why it failed (HTTP status and body, transport error, …); null on success.</param>
/// <param name="ChunkTimes">Arrival of every chunk that carried generated text, in seconds after sending, ascending.</param>
/// <param name="EndTime">Seconds after sending when the stream finished (<c>[DONE]</c> or end of body).</param>
/// <param name="PromptTokens">Input tokens: the server's <c>usage.prompt_tokens</c> when given, else the workload's length.</param>
/// <param name="UsageCompletionTokens">The server's <c>usage.completion_tokens</c>, when it sent usage.</param>
public sealed record RequestTimeline(
    double SendOffset,
    bool Success,
    string? Error,
    IReadOnlyList<double> ChunkTimes,
    double EndTime,
    int PromptTokens,
    int? UsageCompletionTokens)
{
    /// <summary>Output tokens: the server's usage figure when present, else the number of content chunks
    /// (one token per chunk is what OpenAI-compatible servers stream; usage is exact when chunks bundle tokens).</summary>
    public int OutputTokens => UsageCompletionTokens ?? ChunkTimes.Count;

    /// <summary>How often the request was sent again after its connection failed before any response.</summary>
    public int Retries { get; init; }

    /// <summary>Time to first token: arrival of the first content chunk, seconds after sending.</summary>
    public double Ttft => ChunkTimes.Count > 0 ? ChunkTimes[0] : 0;

    /// <summary>A failed request (no timing).</summary>
    public static RequestTimeline Failed(double sendOffset, string error, double endTime, int promptTokens) =>
        new(sendOffset, false, error, [], endTime, promptTokens, null);
}
