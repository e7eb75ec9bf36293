using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hearth.Router.Tests;

/// <summary>A scripted OpenAI-compatible server on 127.0.0.1 (Kestrel, port 0): answers completions with usage
/// {10, 5}, counts requests, records bodies and headers, and can be told to fail, stall or stream custom bytes.</summary>
public sealed class FakeUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;
    private bool _stopped;

    private FakeUpstream(string name, WebApplication app, Uri address)
    {
        Name = name;
        _app = app;
        Address = address;
    }

    public string Name { get; }
    public Uri Address { get; }
    public string V1 => Address + "v1";
    public int Requests => Volatile.Read(ref _requests);
    public ConcurrentQueue<JsonObject> Bodies { get; } = new();
    public ConcurrentQueue<string> AuthHeaders { get; } = new();
    /// <summary>The W3C traceparent header of each request ("" when absent).</summary>
    public ConcurrentQueue<string> Traceparents { get; } = new();

    /// <summary>Milliseconds to wait before answering.</summary>
    public int DelayMs { get; set; }

    /// <summary>Status for /health (200 by default).</summary>
    public int HealthStatus { get; set; } = 200;

    /// <summary>When set, answers GET /v1/kv_events (else 404, as a server without cache events).</summary>
    public Func<HttpContext, Task>? KvEvents { get; set; }

    /// <summary>When set, replaces the default answer for POSTs.</summary>
    public Func<HttpContext, JsonObject, Task>? Script { get; set; }

    public static async Task<FakeUpstream> StartAsync(string name)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        FakeUpstream? self = null;
        app.MapGet("/health", ctx => { ctx.Response.StatusCode = self!.HealthStatus; return Task.CompletedTask; });
        app.MapGet("/v1/kv_events", ctx =>
        {
            if (self!.KvEvents is { } events) return events(ctx);
            ctx.Response.StatusCode = 404;
            return Task.CompletedTask;
        });
        app.MapPost("/v1/{**rest}", async ctx =>
        {
            var body = (JsonObject)(await JsonNode.ParseAsync(ctx.Request.Body))!;
            Interlocked.Increment(ref self!._requests);
            self.Bodies.Enqueue(body);
            self.AuthHeaders.Enqueue(ctx.Request.Headers.Authorization.ToString());
            self.Traceparents.Enqueue(ctx.Request.Headers["traceparent"].ToString());
            if (self.DelayMs > 0) await Task.Delay(self.DelayMs, ctx.RequestAborted);
            if (self.Script is { } script) await script(ctx, body);
            else await DefaultAnswer(ctx, body, self.Name);
        });
        await app.StartAsync();
        var addr = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new FakeUpstream(name, app, new Uri(addr + "/"));
        return self;
    }

    public static async Task DefaultAnswer(HttpContext ctx, JsonObject body, string name)
    {
        var model = body["model"]!.GetValue<string>();
        if (body["stream"]?.GetValue<bool>() == true)
        {
            ctx.Response.ContentType = "text/event-stream";
            foreach (var piece in new[] { "Hel", "lo" })
            {
                await ctx.Response.WriteAsync($"data: {{\"model\":\"{model}\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{piece}\"}}}}]}}\n\n");
                await ctx.Response.Body.FlushAsync();
            }
            if (body["stream_options"]?["include_usage"]?.GetValue<bool>() == true)
                await ctx.Response.WriteAsync($"data: {{\"model\":\"{model}\",\"choices\":[],\"usage\":{{\"prompt_tokens\":7,\"completion_tokens\":2,\"total_tokens\":9}}}}\n\n");
            await ctx.Response.WriteAsync("data: [DONE]\n\n");
            return;
        }
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(new JsonObject
        {
            ["id"] = "cmpl-1", ["object"] = "chat.completion", ["model"] = model, ["upstream"] = name,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = "hi" }, ["finish_reason"] = "stop" }),
            ["usage"] = new JsonObject { ["prompt_tokens"] = 10, ["completion_tokens"] = 5, ["total_tokens"] = 15 },
        }.ToJsonString());
    }

    public static Task Error(HttpContext ctx, int status, string message, string? code = null)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        return ctx.Response.WriteAsync(new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["type"] = "invalid_request_error", ["code"] = code } }.ToJsonString(), Encoding.UTF8);
    }

    /// <summary>Stops listening; later connections are refused.</summary>
    public async Task StopAsync()
    {
        if (_stopped) return;
        _stopped = true;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }
}
