using System.Diagnostics;
using OpenTelemetry.Trace;

namespace Hearth.Server.Tests;

/// <summary>With tracing on (here an in-memory exporter), a generation request is one trace: the HTTP request's span
/// with the GenAI attributes, and under it "queue", "prefill" and "decode" spans with token counts and the time to
/// first token; the request log line carries the same trace id.</summary>
public sealed class TracingTests
{
    [Fact]
    public async Task RequestSpanHasQueuePrefillAndDecodeChildren()
    {
        var spans = new List<Activity>();
        await using var host = TestHost.Start(new ServerOptions { ConfigureTracing = t => t.AddInMemoryExporter(spans) });
        var (status, body, _) = await Http.PostAsync(host.Http, "v1/completions", "{\"model\":\"fake\",\"prompt\":\"Hello\"}");
        Assert.Equal(200, status);
        var id = body!["id"]!.GetValue<string>()["cmpl-".Length..];
        var line = await host.LogLineAsync($"id={id}");

        // Other tests' servers run in this process too: pick this server's request span by its port.
        Activity? request = null;
        for (var i = 0; i < 100 && request is null; i++)
        {
            lock (spans)
                request = spans.FirstOrDefault(s => s.Kind == ActivityKind.Server && s.GetTagItem("server.port") is int port && port == host.BaseAddress.Port
                                                    && s.GetTagItem("url.path") as string == "/v1/completions");
            if (request is null) await Task.Delay(100);
        }
        Assert.NotNull(request);
        Assert.Equal("fake:latest", request.GetTagItem("gen_ai.request.model"));
        Assert.Equal(6, request.GetTagItem("gen_ai.usage.input_tokens")); // BOS + "Hello"
        Assert.Equal(5, request.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal(["stop"], (string[])request.GetTagItem("gen_ai.response.finish_reasons")!);
        Assert.True(request.GetTagItem("gen_ai.server.time_to_first_token") is double ttft && ttft >= 0);
        Assert.EndsWith($" trace_id={request.TraceId.ToHexString()}", line);

        List<Activity> children;
        lock (spans) children = spans.Where(s => s.ParentSpanId == request.SpanId).OrderBy(s => s.StartTimeUtc).ToList();
        Assert.Equal(["queue", "prefill", "decode"], children.Select(c => c.DisplayName));
        Assert.All(children, c => Assert.Equal(request.TraceId, c.TraceId));
        Assert.All(children, c => Assert.Equal("Hearth.Server", c.Source.Name));
        var (queue, prefill, decode) = (children[0], children[1], children[2]);
        Assert.Equal(6, prefill.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal(5, decode.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.True(queue.StartTimeUtc + queue.Duration <= prefill.StartTimeUtc + TimeSpan.FromTicks(1));
        Assert.True(prefill.StartTimeUtc + prefill.Duration <= decode.StartTimeUtc + TimeSpan.FromTicks(1));
        Assert.True(request.StartTimeUtc <= queue.StartTimeUtc && decode.StartTimeUtc + decode.Duration <= request.StartTimeUtc + request.Duration);
    }
}
