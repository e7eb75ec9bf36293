using Hearth.Server.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Hearth.Server.WebUi;

/// <summary>GET /ui/api/requests?limit=N: the last N finished API requests (default 50, at most
/// <see cref="RecentRequests.Capacity"/>), newest first, for the dashboard's request log.</summary>
public static class RequestsEndpoint
{
    public static Task Handle(HttpContext ctx)
    {
        var limit = 50;
        var text = ctx.Request.Query["limit"].ToString();
        if (text.Length > 0 && (!int.TryParse(text, out limit) || limit < 1 || limit > RecentRequests.Capacity))
            throw ApiException.BadRequest($"'limit' must be a whole number from 1 to {RecentRequests.Capacity}", "limit");
        var list = ctx.RequestServices.GetRequiredService<RecentRequests>().Last(limit);
        return JsonOut.WriteAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("requests");
            for (var i = list.Count - 1; i >= 0; i--)
            {
                var r = list[i];
                w.WriteStartObject();
                w.WriteString("id", r.Id);
                w.WriteString("time", r.StartTime);
                w.WriteString("method", r.Method);
                w.WriteString("path", r.Path);
                w.StringOrNull("model", r.Model);
                w.WriteNumber("status", r.Status);
                w.WriteNumber("prompt_tokens", r.PromptTokens);
                w.WriteNumber("completion_tokens", r.CompletionTokens);
                if (r.TtftMs is { } t) w.WriteNumber("ttft_ms", Math.Round(t, 1)); else w.WriteNull("ttft_ms");
                w.WriteNumber("duration_ms", Math.Round(r.DurationMs, 1));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }
}
