using System.Diagnostics;
using Hearth.Server.Http;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.WebUi;

/// <summary>One finished API request, as the dashboard's request log shows it.</summary>
public sealed record RecentRequest(string Id, DateTimeOffset StartTime, string Method, string Path, string? Model, int Status,
    int PromptTokens, int CompletionTokens, double? TtftMs, double DurationMs);

/// <summary>The last <see cref="Capacity"/> finished requests, newest last: a fixed ring under a lock, written once per
/// request (one small record), read by GET /ui/api/requests.</summary>
public sealed class RecentRequests
{
    public const int Capacity = 200;
    private readonly RecentRequest?[] _ring = new RecentRequest?[Capacity];
    private long _written;
    private readonly Lock _lock = new();

    public void Add(RecentRequest request)
    {
        lock (_lock) _ring[_written++ % Capacity] = request;
    }

    /// <summary>Up to <paramref name="limit"/> of the newest requests, oldest first.</summary>
    public IReadOnlyList<RecentRequest> Last(int limit)
    {
        lock (_lock)
        {
            var n = (int)Math.Min(Math.Min(limit, Capacity), _written);
            var list = new List<RecentRequest>(n);
            for (var i = _written - n; i < _written; i++) list.Add(_ring[i % Capacity]!);
            return list;
        }
    }
}

/// <summary>Adds every API request (not the UI's own files or polls) to <see cref="RecentRequests"/> when it ends.</summary>
public sealed class RecentRequestsMiddleware(RequestDelegate next, RecentRequests log)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        try
        {
            await next(ctx);
        }
        finally
        {
            var path = ctx.Request.Path.Value ?? "";
            if (IsApi(path))
            {
                var r = RequestRecord.Of(ctx);
                log.Add(new RecentRequest(r.Id, r.StartTime, ctx.Request.Method, path, r.Model, r.Status ?? ctx.Response.StatusCode,
                    r.PromptTokens, r.CompletionTokens, r.TimeToFirstToken?.TotalMilliseconds,
                    Stopwatch.GetElapsedTime(r.StartTimestamp).TotalMilliseconds));
            }
        }
    }

    /// <summary>The generation and model-management APIs; not /metrics, /health, the UI or its polls.</summary>
    private static bool IsApi(string path) =>
        (path.StartsWith("/v1/", StringComparison.Ordinal) || path.StartsWith("/api/", StringComparison.Ordinal))
        && path != "/api/ps" && path != "/api/tags" && path != "/v1/models" && path != "/api/version";
}
