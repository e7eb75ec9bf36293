using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Hearth.Bench.Metrics;
using Hearth.Bench.Workloads;

namespace Hearth.Bench.Client;

/// <summary>Sends streaming completion requests to one OpenAI-compatible server and records each one's
/// timeline. Talks only to the target's URL: no proxy, no redirects. Thread-safe; one instance per target.</summary>
public sealed class OpenAiStreamClient : IDisposable
{
    private const int MaxErrorBodyChars = 300;

    /// <summary>Tries per request when the connection fails before any response arrives (what the OpenAI SDKs do:
    /// they retry connection errors twice). A server that closes kept-alive connections (llama-server after its
    /// keep-alive limit) otherwise turns the next request sent on one into a failure that cost the server nothing.</summary>
    public const int MaxAttempts = 3;
    private readonly HttpClient _http;
    private readonly Target _target;
    private long _sent; // round-robin position over Target.Models
    private readonly EndpointKind _kind;
    private readonly bool _ignoreEos;
    private readonly string? _responseFormat;
    private readonly Uri _url;

    public OpenAiStreamClient(Target target, EndpointKind kind, bool ignoreEos, string? responseFormat = null)
    {
        _responseFormat = responseFormat;
        _target = target;
        _kind = kind;
        _ignoreEos = ignoreEos;
        _url = target.EndpointUrl(kind);
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            MaxConnectionsPerServer = int.MaxValue,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            // Below the 5 s keep-alive timeout of cpp-httplib (llama-server): a connection idle that long is dropped here
            // rather than reused after the server closed it.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(4),
        };
        // No overall timeout: every request is bounded by the level's deadline token instead.
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>Sends one request and records its timeline. Failures (HTTP errors, broken streams, empty
    /// answers) come back as a failed timeline; cancellation by <paramref name="ct"/> throws
    /// OperationCanceledException so the caller can count the request as cut off rather than failed.</summary>
    /// <remarks>A request whose connection fails before the response headers is sent again on a new connection, up to
    /// <see cref="MaxAttempts"/> tries; its times still count from the first send, and the timeline says how often it
    /// was retried.</remarks>
    public async Task<RequestTimeline> SendAsync(BenchRequest request, double sendOffset, CancellationToken ct)
    {
        var body = RequestBody.Write(_target.ModelFor(Interlocked.Increment(ref _sent) - 1), _kind, request, _ignoreEos, _responseFormat);
        long t0 = Stopwatch.GetTimestamp();
        double Now() => Stopwatch.GetElapsedTime(t0).TotalSeconds;
        var chunks = new List<double>();
        int promptTokens = request.PromptTokens;
        int? usageCompletion = null;
        int retries = 0;
        try
        {
            using var response = await SendWithRetriesAsync(body, () => retries++, ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var error = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                if (error.Length > MaxErrorBodyChars) error = error[..MaxErrorBodyChars] + "…";
                return RequestTimeline.Failed(sendOffset, $"HTTP {(int)response.StatusCode}: {error.Trim()}", Now(), promptTokens) with { Retries = retries };
            }
            await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            using var reader = new StreamReader(stream);
            while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                double at = Now(); // stamp before parsing so JSON work does not inflate latencies
                if (!line.StartsWith("data:", StringComparison.Ordinal)) continue;
                var payload = line.AsSpan(5).Trim();
                if (payload.SequenceEqual("[DONE]")) break;
                var chunk = SseChunk.Parse(payload.ToString(), _kind);
                if (chunk.Error is { } streamError) return RequestTimeline.Failed(sendOffset, streamError, at, promptTokens) with { Retries = retries };
                if (chunk.HasContent) chunks.Add(at);
                if (chunk.CompletionTokens is { } c) usageCompletion = c;
                if (chunk.PromptTokens is { } p) promptTokens = p;
            }
            double end = Now();
            if (chunks.Count == 0)
                return RequestTimeline.Failed(sendOffset, "no generated text in the response stream", end, promptTokens) with { Retries = retries };
            return new RequestTimeline(sendOffset, true, null, chunks, end, promptTokens, usageCompletion) { Retries = retries };
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or System.Text.Json.JsonException or OperationCanceledException)
        {
            var status = e is HttpRequestException { StatusCode: HttpStatusCode s } ? $" (HTTP {(int)s})" : "";
            return RequestTimeline.Failed(sendOffset, $"{e.GetType().Name}{status}: {e.Message}", Now(), promptTokens) with { Retries = retries };
        }
    }

    /// <summary>Sends the request until response headers arrive: an HttpRequestException from SendAsync means no
    /// response was read, so the connection failed (refused, reset, closed by the server) rather than the request.</summary>
    private async Task<HttpResponseMessage> SendWithRetriesAsync(byte[] body, Action retried, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new ByteArrayContent(body) };
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            if (_target.ApiKey is { Length: > 0 } key) message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            try
            {
                return await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            }
            catch (HttpRequestException) when (attempt < MaxAttempts && !ct.IsCancellationRequested)
            {
                retried();
            }
        }
    }

    public void Dispose() => _http.Dispose();
}
