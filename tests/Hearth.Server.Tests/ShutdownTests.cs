using System.Diagnostics;

namespace Hearth.Server.Tests;

/// <summary>Graceful shutdown: in-flight streams finish within the deadline; past it they are cancelled.</summary>
public sealed class ShutdownTests
{
    private const string Body = "{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true}";

    [Fact]
    public async Task InFlightStream_FinishesWithinDeadline()
    {
        var host = TestHost.Start(new ServerOptions { ShutdownDeadline = TimeSpan.FromSeconds(10) });
        host.Engine.TokenDelay = TimeSpan.FromMilliseconds(40);
        var resp = await host.Http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Http.Json(Body) },
            HttpCompletionOption.ResponseHeadersRead);
        var read = resp.Content.ReadAsStringAsync();
        await host.App.StopAsync(); // returns once the stream has finished
        var text = await read.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.EndsWith("data: [DONE]\n\n", text);
        Assert.Contains("\"finish_reason\":\"stop\"", text);
        Assert.False(host.Engine.Cancelled.Task.IsCompleted);
        await host.DisposeAsync();
    }

    [Fact]
    public async Task StreamPastDeadline_IsCancelled()
    {
        var host = TestHost.Start(new ServerOptions { ShutdownDeadline = TimeSpan.FromMilliseconds(300) });
        host.Engine.TokenDelay = TimeSpan.FromMilliseconds(50);
        host.Engine.Pieces = Enumerable.Range(0, 1000).Select(i => $" w{i}").ToList();
        var resp = await host.Http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Http.Json(Body) },
            HttpCompletionOption.ResponseHeadersRead);
        var sw = Stopwatch.StartNew();
        await host.App.StopAsync();
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"stop took {sw.Elapsed}");
        await host.Engine.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(5));
        resp.Dispose();
        await host.DisposeAsync();
    }
}
