using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hearth.Bench.Tests;

/// <summary>A scripted OpenAI-compatible streaming server on 127.0.0.1 (port chosen by the OS). Each request gets
/// an empty role chunk at once, then ceil(max_tokens / TokensPerChunk) content chunks on a fixed schedule:
/// the first at FirstTokenMs after the request arrived, then one every TokenEveryMs (absolute schedule, so delays
/// do not accumulate), then a usage chunk when SendUsage, then [DONE]. Every FailEvery-th request gets a 500.</summary>
internal sealed class FakeOpenAiServer : IAsyncDisposable
{
    public int FirstTokenMs { get; init; } = 50;
    public int TokenEveryMs { get; init; } = 10;
    public int TokensPerChunk { get; init; } = 1;
    public bool SendUsage { get; init; } = true;
    public int FailEvery { get; init; }
    public int PromptTokens { get; init; } = 17;

    private WebApplication? _app;
    private int _received;
    private readonly List<string> _bodies = [];

    public Uri BaseUrl { get; private set; } = null!;
    public int Received => Volatile.Read(ref _received);
    public IReadOnlyList<string> Bodies { get { lock (_bodies) return _bodies.ToList(); } }

    public async Task<FakeOpenAiServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.MapPost("/v1/chat/completions", ctx => Handle(ctx, chat: true));
        _app.MapPost("/v1/completions", ctx => Handle(ctx, chat: false));
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = new Uri(address);
        return this;
    }

    private async Task Handle(HttpContext ctx, bool chat)
    {
        long t0 = Stopwatch.GetTimestamp();
        int n = Interlocked.Increment(ref _received);
        using var reader = new StreamReader(ctx.Request.Body);
        var body = await reader.ReadToEndAsync();
        lock (_bodies) _bodies.Add(body);
        if (FailEvery > 0 && n % FailEvery == 0)
        {
            ctx.Response.StatusCode = 500;
            await ctx.Response.WriteAsync("{\"error\":{\"message\":\"scripted failure\",\"type\":\"server_error\"}}");
            return;
        }
        int maxTokens = JsonDocument.Parse(body).RootElement.GetProperty("max_tokens").GetInt32();
        int chunks = (maxTokens + TokensPerChunk - 1) / TokensPerChunk;
        ctx.Response.ContentType = "text/event-stream";
        var ct = ctx.RequestAborted;
        if (chat) await Send(ctx, "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}", ct);
        for (int k = 0; k < chunks; k++)
        {
            // Timers can fire a little early; wait again until the chunk is really due.
            var due = TimeSpan.FromMilliseconds(FirstTokenMs + k * TokenEveryMs);
            TimeSpan left;
            while ((left = due - Stopwatch.GetElapsedTime(t0)) > TimeSpan.Zero)
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(left.TotalMilliseconds)), ct);
            await Send(ctx, chat
                ? "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\" tok\"}}]}"
                : "{\"choices\":[{\"index\":0,\"text\":\" tok\"}]}", ct);
        }
        if (SendUsage)
            await Send(ctx, $"{{\"choices\":[],\"usage\":{{\"prompt_tokens\":{PromptTokens},\"completion_tokens\":{chunks * TokensPerChunk},\"total_tokens\":{PromptTokens + chunks * TokensPerChunk}}}}}", ct);
        await Send(ctx, "[DONE]", ct);
    }

    private static async Task Send(HttpContext ctx, string payload, CancellationToken ct)
    {
        await ctx.Response.WriteAsync("data: " + payload + "\n\n", ct);
        await ctx.Response.Body.FlushAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _app.StopAsync(cts.Token);
            await _app.DisposeAsync();
        }
    }
}
