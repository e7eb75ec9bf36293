using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Hearth.Router.Keys;
using Hearth.Router.KvRouting;
using Hearth.Router.Routing;
using Hearth.Router.State;
using Microsoft.AspNetCore.Http;

namespace Hearth.Router.Proxy;

/// <summary>Proxies one OpenAI request: authenticate, check key limits, walk the model's fallback chain, and per
/// model try replicas (with backoff) until one answers; the response is streamed through chunk by chunk.</summary>
public sealed class ProxyHandler(RouterState state)
{
    private const int MaxRequestBytes = 32 << 20;
    private const int MaxErrorBodyBytes = 1 << 20;

    public async Task HandleAsync(HttpContext ctx, string relativePath)
    {
        state.Metrics.ClientRequest();
        var ct = ctx.RequestAborted;
        var auth = RouterAuth.Authenticate(ctx, state);
        if (!auth.Ok)
        {
            state.Metrics.Rejected();
            await RouterAuth.WriteUnauthorizedAsync(ctx, auth.Error!);
            return;
        }
        var body = await ReadBodyAsync(ctx.Request, ct);
        if (body is null)
        {
            state.Metrics.Rejected();
            await OpenAiError.WriteAsync(ctx, 413, "invalid_request_error", $"request body larger than {MaxRequestBytes} bytes");
            return;
        }
        var request = ProxyRequest.TryParse(body, out var parseError);
        if (request is null)
        {
            state.Metrics.Rejected();
            await OpenAiError.WriteAsync(ctx, 400, "invalid_request_error", parseError!);
            return;
        }
        if (!state.Routes.TryGetValue(request.Model, out var route))
        {
            state.Metrics.Rejected();
            await OpenAiError.WriteAsync(ctx, 404, "invalid_request_error", $"model '{request.Model}' is not served by this router (see GET /v1/models)", "model_not_found");
            return;
        }
        if (auth.Key is { } key)
        {
            var verdict = await key.AdmitAsync(request.Model, ct);
            if (!verdict.Allowed)
            {
                state.Metrics.Rejected();
                await OpenAiError.WriteAsync(ctx, verdict.Status, verdict.Status == 429 ? (verdict.Code == "insufficient_quota" ? "insufficient_quota" : "rate_limit_error") : "permission_error",
                    verdict.Message, verdict.Code, verdict.RetryAfterSeconds);
                return;
            }
        }

        var chain = new List<string> { request.Model };
        chain.AddRange(route.Config.Fallback);
        AttemptOutcome? last = null;
        var retries = state.Config.Retries;
        try
        {
            foreach (var modelName in chain)
            {
                var modelRoute = state.Routes[modelName];
                var prefix = modelRoute.Config.Policy == Config.RoutingPolicy.PrefixAffinity ? request.PrefixKey(modelRoute.Config.PrefixChars) : null;
                var cache = await CacheChoiceAsync(modelRoute, modelName, request, relativePath, ct);
                var tried = new HashSet<UpstreamState>();
                for (var attempt = 0; attempt <= retries.Max; attempt++)
                {
                    if (attempt > 0 && retries.BackoffMs > 0)
                        await Task.Delay(retries.BackoffMs << Math.Min(attempt - 1, 10), ct);
                    // Prefer replicas not yet tried for this request; once all were, any available one may be retried.
                    var up = modelRoute.Pick(prefix, tried, RouterState.NowMs, cache) ?? (tried.Count > 0 ? modelRoute.Pick(prefix, new HashSet<UpstreamState>(), RouterState.NowMs, cache) : null);
                    if (up is null) break;
                    if (cache is not null) state.Metrics.CacheAwarePick(up.Name, cache.PromptHashes.Count, cache.MatchedBlocks, cache.AnyLive);
                    tried.Add(up);
                    var outcome = await TryUpstreamAsync(ctx, request, modelName, up, relativePath, auth.Key, ct);
                    switch (outcome.Kind)
                    {
                        case AttemptKind.Done:
                        case AttemptKind.ClientGone:
                            return;
                        case AttemptKind.Final:
                            await ForwardErrorAsync(ctx, outcome, up.Name);
                            return;
                        case AttemptKind.ContextOverflow:
                            last = outcome;
                            goto nextModel;
                        default:
                            last = outcome;
                            state.Metrics.Retry(up.Name);
                            continue;
                    }
                }
            nextModel:;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }
        if (last is { Body: not null }) await ForwardErrorAsync(ctx, last, null);
        else await OpenAiError.WriteAsync(ctx, last is null ? 503 : 502, "server_error",
            last is null ? $"no healthy upstream for model '{request.Model}'" : $"all upstreams for model '{request.Model}' failed", "upstream_unavailable");
    }

    /// <summary>For a kv-aware model's generation request: the prompt's block hashes, asked of a replica (null when
    /// the model uses another policy or no replica could say; the pick then falls back to least-outstanding).</summary>
    private async Task<CacheAwareChoice?> CacheChoiceAsync(ModelRoute route, string modelName, ProxyRequest request, string relativePath, CancellationToken ct)
    {
        if (route.Config.Policy != Config.RoutingPolicy.KvAware || state.PrefixCache is not { } tracker) return null;
        if (relativePath is not ("chat/completions" or "completions")) return null;
        var hashes = await tracker.PromptHashesAsync(route, request, ct);
        if (hashes is null)
        {
            state.Metrics.CacheAwareFallback();
            return null;
        }
        return new CacheAwareChoice(hashes, r => tracker.IndexOf(r, modelName));
    }

    private async Task<AttemptOutcome> TryUpstreamAsync(HttpContext ctx, ProxyRequest request, string modelName, UpstreamState up,
        string relativePath, KeyRuntime? key, CancellationToken ct)
    {
        var payload = request.BodyFor(up.Config.Models[modelName], includeUsage: true);
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(up.Config.Url, relativePath))
        {
            Content = new ByteArrayContent(payload),
            Version = HttpVersion.Version11,
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (up.Config.ApiKey is { } apiKey) message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);

        var started = Stopwatch.GetTimestamp();
        var error = false;
        up.Enter();
        try
        {
            HttpResponseMessage response;
            try { response = await state.Http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ct); }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                error = true;
                up.Breaker.OnFailure(RouterState.NowMs);
                return AttemptOutcome.Unreachable;
            }
            using (response)
            {
                var status = (int)response.StatusCode;
                if (status >= 400) return await ReadErrorAsync(response, up, status, ct, e => error = e);
                var outcome = await StreamAsync(ctx, response, up, modelName, key, started, ct);
                error = outcome.Kind == AttemptKind.Retryable || outcome.Status == -1;
                return outcome.Status == -1 ? AttemptOutcome.DoneOk : outcome;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            up.Breaker.OnAbandoned();
            return AttemptOutcome.Gone;
        }
        finally
        {
            up.Leave();
            state.Metrics.Attempt(up.Name, error, Stopwatch.GetElapsedTime(started));
        }
    }

    private static async Task<AttemptOutcome> ReadErrorAsync(HttpResponseMessage response, UpstreamState up, int status, CancellationToken ct, Action<bool> setError)
    {
        byte[] body;
        try { body = await ReadCappedAsync(response.Content, MaxErrorBodyBytes, ct); }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            setError(true);
            up.Breaker.OnFailure(RouterState.NowMs);
            return AttemptOutcome.Unreachable;
        }
        var contentType = response.Content.Headers.ContentType?.ToString();
        if (status >= 500)
        {
            setError(true);
            up.Breaker.OnFailure(RouterState.NowMs);
            return new AttemptOutcome(AttemptKind.Retryable, status, body, contentType);
        }
        up.Breaker.OnSuccess(); // a 4xx is a live upstream answering
        if (status is 429 or 408) return new AttemptOutcome(AttemptKind.Retryable, status, body, contentType);
        if (status == 400 && OpenAiError.IsContextOverflow(body)) return new AttemptOutcome(AttemptKind.ContextOverflow, status, body, contentType);
        return new AttemptOutcome(AttemptKind.Final, status, body, contentType);
    }

    /// <summary>Forwards a 2xx body. The first chunk is read before anything is sent, so a stream that breaks
    /// immediately is still retryable; after that, a break aborts the client connection (Status -1 marks the error).</summary>
    private async Task<AttemptOutcome> StreamAsync(HttpContext ctx, HttpResponseMessage response, UpstreamState up, string modelName,
        KeyRuntime? key, long started, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            var contentType = response.Content.Headers.ContentType;
            var sse = contentType?.MediaType == "text/event-stream";
            Stream upstream;
            int n;
            // Nothing reaches the client before the first chunk (for streams: the first output, see FirstTokenGate),
            // so an upstream that breaks before then is retried on another replica.
            using var held = new MemoryStream();
            try
            {
                upstream = await response.Content.ReadAsStreamAsync(ct);
                n = await upstream.ReadAsync(buffer, ct);
                if (sse)
                {
                    var gate = new FirstTokenGate();
                    while (n > 0 && !gate.Feed(buffer.AsSpan(0, n)))
                    {
                        held.Write(buffer, 0, n);
                        n = await upstream.ReadAsync(buffer, ct);
                    }
                }
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                up.Breaker.OnFailure(RouterState.NowMs);
                return AttemptOutcome.Unreachable;
            }

            var res = ctx.Response;
            res.StatusCode = (int)response.StatusCode;
            if (contentType is not null) res.ContentType = contentType.ToString();
            // The client asked for the router's model name; the upstream answers with its own id.
            var rewriter = ModelNameRewriter.For(contentType?.MediaType, up.Config.Models[modelName], modelName);
            if (rewriter is null && response.Content.Headers.ContentLength is { } len) res.ContentLength = len;
            if (response.Headers.CacheControl is { } cc) res.Headers.CacheControl = cc.ToString();
            res.Headers["x-hearth-upstream"] = up.Name;
            var scanner = new UsageScanner(sse);
            var length = response.Content.Headers.ContentLength;
            long forwarded = 0;
            var accounted = false;
            if (held.Length > 0)
            {
                scanner.Feed(held.GetBuffer().AsSpan(0, (int)held.Length));
                forwarded += held.Length;
                var heldBytes = held.GetBuffer().AsMemory(0, (int)held.Length);
                await res.Body.WriteAsync(rewriter is null ? heldBytes : rewriter.Feed(heldBytes.Span), ct);
            }
            while (n > 0)
            {
                scanner.Feed(buffer.AsSpan(0, n));
                forwarded += n;
                // Count the tokens before the bytes that carry the usage reach the client, so a client (or another
                // router replica sharing the limits) that sends its next request the moment this one ends is checked
                // against a budget that already includes it.
                if (!accounted && (scanner.HasUsage || forwarded == length))
                {
                    if (forwarded == length) scanner.Complete();
                    await AccountAsync(key, scanner, ct);
                    accounted = true;
                }
                await res.Body.WriteAsync(rewriter is null ? buffer.AsMemory(0, n) : rewriter.Feed(buffer.AsSpan(0, n)), ct);
                await res.Body.FlushAsync(ct);
                try { n = await upstream.ReadAsync(buffer, ct); }
                catch (Exception) when (!ct.IsCancellationRequested)
                {
                    // Bytes already reached the client, so no retry: break the client's connection so it sees an error.
                    up.Breaker.OnFailure(RouterState.NowMs);
                    ctx.Abort();
                    return new AttemptOutcome(AttemptKind.Done, -1);
                }
            }
            if (rewriter is not null) await res.Body.WriteAsync(rewriter.Complete(), ct);
            up.Breaker.OnSuccess();
            if (!accounted)
            {
                scanner.Complete();
                await AccountAsync(key, scanner, ct);
            }
            var prompt = scanner.PromptTokens ?? 0;
            var completion = scanner.CompletionTokens ?? 0;
            state.UsageLog.Add(new UsageRecord(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), key?.Key.Id ?? "", modelName, up.Name,
                prompt, completion, res.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
            return AttemptOutcome.DoneOk;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ValueTask AccountAsync(KeyRuntime? key, UsageScanner scanner, CancellationToken ct) =>
        key is null ? ValueTask.CompletedTask : key.AddTokensAsync((scanner.PromptTokens ?? 0) + (scanner.CompletionTokens ?? 0), ct);

    private static async Task ForwardErrorAsync(HttpContext ctx, AttemptOutcome outcome, string? upstream)
    {
        ctx.Response.StatusCode = outcome.Status;
        ctx.Response.ContentType = outcome.ContentType ?? "application/json";
        if (upstream is not null) ctx.Response.Headers["x-hearth-upstream"] = upstream;
        await ctx.Response.Body.WriteAsync(outcome.Body, ctx.RequestAborted);
    }

    private static async Task<byte[]> ReadCappedAsync(HttpContent content, int cap, CancellationToken ct)
    {
        await using var s = await content.ReadAsStreamAsync(ct);
        using var ms = new MemoryStream();
        var buf = new byte[8192];
        int n;
        while ((n = await s.ReadAsync(buf, ct)) > 0 && ms.Length < cap) ms.Write(buf, 0, (int)Math.Min(n, cap - ms.Length));
        return ms.ToArray();
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxRequestBytes) return null;
        using var ms = new MemoryStream(request.ContentLength is { } l ? (int)l : 4096);
        var buf = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int n;
            while ((n = await request.Body.ReadAsync(buf, ct)) > 0)
            {
                if (ms.Length + n > MaxRequestBytes) return null;
                ms.Write(buf, 0, n);
            }
        }
        finally { ArrayPool<byte>.Shared.Return(buf); }
        return ms.ToArray();
    }
}
