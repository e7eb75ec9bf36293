using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hearth.Cli.Tests;

/// <summary>A stand-in Hearth server on 127.0.0.1 (free port): /health, streaming /api/chat (NDJSON), /api/ps and
/// /api/generate. It records every request body.</summary>
internal sealed class FakeServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    public ConcurrentQueue<(string Path, JsonObject Body)> Requests { get; } = new();
    /// <summary>The chat answer, sent as one NDJSON line per piece.</summary>
    public string[] Pieces { get; set; } = ["Once", " upon", " a", " time"];
    public string PsJson { get; set; } = """{"models":[]}""";

    private FakeServer(WebApplication app) => _app = app;
    public string Url => _app.Urls.First();

    public static async Task<FakeServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeServer(app);
        app.MapGet("/health", () => Results.Text("{\"status\":\"ok\"}", "application/json"));
        app.MapGet("/api/ps", () => Results.Text(server.PsJson, "application/json"));
        app.MapPost("/api/generate", async (HttpContext ctx) =>
        {
            var body = await server.RecordAsync(ctx);
            if (body["model"]?.ToString() == "missing:latest" || body["model"]?.ToString() == "missing")
                return Results.Json(new { error = "model 'missing' not found" }, statusCode: 404);
            return Results.Json(new { model = body["model"]?.ToString(), response = "", done = true, done_reason = "unload" });
        });
        app.MapPost("/api/chat", async (HttpContext ctx) =>
        {
            var body = await server.RecordAsync(ctx);
            ctx.Response.ContentType = "application/x-ndjson";
            foreach (var piece in server.Pieces)
            {
                var line = new JsonObject { ["model"] = body["model"]?.ToString(), ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = piece }, ["done"] = false };
                await ctx.Response.WriteAsync(line.ToJsonString() + "\n");
                await ctx.Response.Body.FlushAsync();
            }
            await ctx.Response.WriteAsync("""{"message":{"role":"assistant","content":""},"done":true,"done_reason":"stop"}""" + "\n");
        });
        await app.StartAsync();
        return server;
    }

    private async Task<JsonObject> RecordAsync(HttpContext ctx)
    {
        var body = (JsonObject)(await JsonNode.ParseAsync(ctx.Request.Body))!;
        Requests.Enqueue((ctx.Request.Path.Value!, body));
        return body;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
