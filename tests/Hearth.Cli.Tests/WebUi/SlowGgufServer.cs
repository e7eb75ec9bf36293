using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hearth.Cli.Tests.WebUi;

/// <summary>A file server on 127.0.0.1 that serves one GGUF in two halves: the first at once, the second only after
/// <see cref="ReleaseSecondHalf"/>. A pull through it therefore stops part-way until the test has seen the page's
/// progress bar in between, which makes "the bar moves, then reaches 100 %" checkable without any timing.</summary>
internal sealed class SlowGgufServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SlowGgufServer(WebApplication app) => _app = app;

    public string UrlOf(string fileName) => _app.Urls.First().TrimEnd('/') + "/" + fileName;

    public void ReleaseSecondHalf() => _release.TrySetResult();

    public static async Task<SlowGgufServer> StartAsync(string ggufPath)
    {
        var bytes = await File.ReadAllBytesAsync(ggufPath);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new SlowGgufServer(app);
        app.MapGet("/{name}.gguf", async (HttpContext ctx) =>
        {
            ctx.Response.ContentType = "application/octet-stream";
            ctx.Response.ContentLength = bytes.Length;
            var quarter = bytes.Length / 4;
            await ctx.Response.Body.WriteAsync(bytes.AsMemory(0, quarter), ctx.RequestAborted);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
            // The puller reports progress at most every 100 ms: a pause longer than that before the next piece makes it
            // report the half it has, while the rest is held back.
            await Task.Delay(250, ctx.RequestAborted);
            await ctx.Response.Body.WriteAsync(bytes.AsMemory(quarter, 2 * quarter - quarter), ctx.RequestAborted);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
            var half = 2 * quarter;
            await server._release.Task.WaitAsync(TimeSpan.FromSeconds(60), ctx.RequestAborted);
            await ctx.Response.Body.WriteAsync(bytes.AsMemory(half), ctx.RequestAborted);
        });
        await app.StartAsync();
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        _release.TrySetResult();
        await _app.DisposeAsync();
    }
}
