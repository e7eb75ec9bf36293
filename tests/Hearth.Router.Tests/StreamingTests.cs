using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Hearth.Router.Tests;

public class StreamingTests
{
    private const string Yaml = """
        upstreams:
          - {name: a, url: "{a}", models: {m: m}}
        models:
          m: {}
        """;

    [Fact]
    public async Task SseBytesPassThroughExactlyAndChunkByChunk()
    {
        await using var bed = await RouterTestBed.StartAsync(Yaml, "a");
        // A comment line and CRLFs, then chunks split mid-event and mid-UTF-8 character ("é" = C3 A9). The first chunk
        // ends with the first token (the router holds a stream's headers until its first output, see FirstTokenGate).
        var all = Encoding.UTF8.GetBytes(": keep-alive\r\n\r\ndata: {\"choices\":[{\"delta\":{\"content\":\"caf\"}}]}\n\n"
            + "data: {\"choices\":[{\"delta\":{\"content\":\"\u00e9!\"}}]}\n\ndata: [DONE]\n\n");
        var first = Encoding.UTF8.GetByteCount(": keep-alive\r\n\r\ndata: {\"choices\":[{\"delta\":{\"content\":\"caf\"}}]}\n\n");
        var split1 = Array.IndexOf(all, (byte)0xC3) + 1;
        var chunks = new[] { all[..first], all[first..split1], all[split1..] };
        var firstSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bed["a"].Script = async (ctx, _) =>
        {
            ctx.Response.ContentType = "text/event-stream";
            await ctx.Response.Body.WriteAsync(chunks[0]);
            await ctx.Response.Body.FlushAsync();
            // Hold the rest until the client has the first chunk: proves the router flushes per chunk.
            await firstSeen.Task.WaitAsync(TimeSpan.FromSeconds(5));
            foreach (var c in chunks[1..])
            {
                await ctx.Response.Body.WriteAsync(c);
                await ctx.Response.Body.FlushAsync();
                await Task.Delay(10);
            }
        };
        using var req = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = RouterTestBed.ChatBody("m", stream: true) };
        using var res = await bed.Client.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", res.Content.Headers.ContentType!.MediaType);
        await using var body = await res.Content.ReadAsStreamAsync();
        var received = new MemoryStream();
        var buf = new byte[1024];
        var n = await body.ReadAsync(buf).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(chunks[0], buf[..n]);
        received.Write(buf, 0, n);
        firstSeen.SetResult();
        while ((n = await body.ReadAsync(buf)) > 0) received.Write(buf, 0, n);
        Assert.Equal(all, received.ToArray());
    }

    [Fact]
    public async Task NdjsonAndNonStreamingBodiesAreForwardedVerbatim()
    {
        await using var bed = await RouterTestBed.StartAsync(Yaml, "a");
        var ndjson = "{\"message\":{\"content\":\"a\"},\"done\":false}\n{\"done\":true,\"eval_count\":3}\n"u8.ToArray();
        bed["a"].Script = async (ctx, _) =>
        {
            ctx.Response.ContentType = "application/x-ndjson";
            ctx.Response.StatusCode = 200;
            await ctx.Response.Body.WriteAsync(ndjson);
        };
        using var res = await bed.ChatAsync("m");
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        Assert.Equal("application/x-ndjson", res.Content.Headers.ContentType!.MediaType);
        Assert.Equal(ndjson, await res.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task ClientDisconnectCancelsTheUpstreamRequest()
    {
        await using var bed = await RouterTestBed.StartAsync(Yaml, "a");
        var upstreamAborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bed["a"].Script = async (ctx, _) =>
        {
            using var reg = ctx.RequestAborted.Register(() => upstreamAborted.TrySetResult());
            ctx.Response.ContentType = "text/event-stream";
            try
            {
                for (var i = 0; i < 200 && !ctx.RequestAborted.IsCancellationRequested; i++)
                {
                    await ctx.Response.WriteAsync($"data: {{\"i\":{i}}}\n\n", ctx.RequestAborted);
                    await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                    await Task.Delay(25, ctx.RequestAborted);
                }
            }
            catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
            {
                // expected: the router hung up
            }
        };
        using (var req = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = RouterTestBed.ChatBody("m", stream: true) })
        using (var res = await bed.Client.SendAsync(req, HttpCompletionOption.ResponseHeadersRead))
        {
            await using var body = await res.Content.ReadAsStreamAsync();
            Assert.True(await body.ReadAsync(new byte[64]) > 0);
        } // disposing the response closes the client connection mid-stream
        await upstreamAborted.Task.WaitAsync(TimeSpan.FromSeconds(5));
        await ResilienceTests.WaitUntil(() => bed.Router.State.Upstreams[0].Outstanding == 0);
    }
}
