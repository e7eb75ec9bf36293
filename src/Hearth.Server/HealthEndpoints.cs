using Hearth.Engine;
using Hearth.Server.Http;
using Hearth.Metrics;
using Hearth.Store.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Hearth.Server;

/// <summary>/health (process up), /ready (default model loaded), /metrics (Prometheus), / (liveness text for Ollama clients).</summary>
public static class HealthEndpoints
{
    public static Task Health(HttpContext ctx) =>
        JsonOut.WriteAsync(ctx, 200, w => { w.WriteStartObject(); w.WriteString("status", "ok"); w.WriteEndObject(); });

    public static Task Ready(HttpContext ctx)
    {
        var host = ctx.RequestServices.GetRequiredService<IModelHost>();
        var ready = host.Loaded().Any(m => m.Name == host.DefaultModelName);
        return JsonOut.WriteAsync(ctx, ready ? 200 : 503, w =>
        {
            w.WriteStartObject();
            w.WriteString("status", ready ? "ready" : "loading");
            // Open to probes without a key, so it names the model only when the server has no keys at all.
            if (!ctx.RequestServices.GetRequiredService<ApiKeySet>().Enabled) w.WriteString("model", host.DefaultModelName);
            w.WriteEndObject();
        });
    }

    public static async Task Metrics(HttpContext ctx)
    {
        var text = await ctx.RequestServices.GetRequiredService<PrometheusMeterExporter>().RenderAsync(ctx.RequestAborted);
        ctx.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await ctx.Response.WriteAsync(text, ctx.RequestAborted);
    }

    public static Task Root(HttpContext ctx)
    {
        ctx.Response.ContentType = "text/plain; charset=utf-8";
        return ctx.Response.WriteAsync("Hearth is running", ctx.RequestAborted);
    }
}
