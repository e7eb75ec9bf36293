namespace Hearth.Bench.Metrics;

/// <summary>The metric definitions, worded once for `hearth bench --help` and the HTML report. They follow
/// vLLM's serving benchmark (`vllm bench serve`) so numbers can be compared with published ones.</summary>
public static class MetricDefinitions
{
    public const string Text =
        "All times are measured by the client, from sending the request.\n" +
        "TTFT (time to first token): until the first stream chunk that carries generated text.\n" +
        "TPOT (time per output token): (E2EL - TTFT) / (output tokens - 1), per request with more than one output token (excludes the first token).\n" +
        "ITL (inter-token latency): every gap between successive content chunks, pooled over all requests.\n" +
        "E2EL (end-to-end latency): until the stream ends ([DONE]).\n" +
        "Output tokens: the server's usage.completion_tokens when it sends usage (stream_options.include_usage), else the number of content chunks.\n" +
        "Duration: a level's wall time, from its first send until its last request ended (or its --duration ran out).\n" +
        "Request throughput = completed requests / duration. Output throughput = output tokens / duration. " +
        "Total token throughput = (input + output tokens of completed requests) / duration.\n" +
        "Goodput = completed requests meeting every --slo objective (TTFT, TPOT, E2EL, each <=) / duration.\n" +
        "Percentiles (p50 = median, p90, p99) interpolate linearly between closest ranks (numpy's default); latency figures cover completed requests only.\n" +
        "Failed = HTTP error, broken stream or no generated text; cut off = still running when --duration ran out (neither completed nor failed).";
}
