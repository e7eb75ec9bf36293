using System.Net;
using System.Net.Sockets;
using System.Text;
using Hearth.Bench.Client;
using Hearth.Bench.Metrics;
using Hearth.Bench.Workloads;

namespace Hearth.Bench.Tests;

/// <summary>A server that keeps connections alive (HTTP/1.1, no "Connection: close") but closes each one when a
/// second request arrives on it, unanswered, as llama-server does at its keep-alive limit. The bench client must
/// send that request again on a new connection instead of counting a failure the server never paid for.</summary>
public class DroppedConnectionTests
{
    private const string Sse = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" tok\"}}]}\n\ndata: [DONE]\n\n";

    /// <summary>Serves the first request of every connection and drops the connection on the second. Bounded: it
    /// stops at <paramref name="maxConnections"/> connections.</summary>
    private static async Task<(int Served, int Dropped)> ServeAsync(TcpListener listener, int maxConnections, CancellationToken ct)
    {
        int served = 0, dropped = 0;
        for (int c = 0; c < maxConnections; c++)
        {
            using var client = await listener.AcceptTcpClientAsync(ct);
            var stream = client.GetStream();
            for (int request = 0; ; request++)
            {
                if (!await ReadRequestAsync(stream, ct)) break; // the client closed it
                if (request > 0) { dropped++; break; } // the kept-alive connection's next request: close unanswered
                var body = Encoding.UTF8.GetBytes(Sse);
                var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: {body.Length}\r\n\r\n");
                await stream.WriteAsync(head, ct);
                await stream.WriteAsync(body, ct);
                served++;
            }
        }
        return (served, dropped);
    }

    /// <summary>Reads one request (headers, then Content-Length bytes); false at end of stream.</summary>
    private static async Task<bool> ReadRequestAsync(NetworkStream stream, CancellationToken ct)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (!(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await stream.ReadAsync(one, ct) == 0) return false;
            head.Add(one[0]);
            if (head.Count > 16_384) throw new InvalidDataException("request head too long");
        }
        var text = Encoding.ASCII.GetString(head.ToArray());
        var line = text.Split("\r\n").First(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        var body = new byte[int.Parse(line["Content-Length:".Length..].Trim())];
        await stream.ReadExactlyAsync(body, ct);
        return true;
    }

    [Fact]
    public async Task RequestsOnConnectionsTheServerDroppedAreSentAgain()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        const int requests = 4;
        // Request 1 opens a connection; each later one is sent on the kept-alive connection, dropped, and sent
        // again on a new one: requests connections in all.
        var server = Task.Run(() => ServeAsync(listener, requests, cts.Token));
        var target = new Target("drop", new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}"), "m");
        using var client = new OpenAiStreamClient(target, EndpointKind.Chat, ignoreEos: true);
        var timelines = new List<RequestTimeline>();
        for (int i = 0; i < requests; i++)
            timelines.Add(await client.SendAsync(new BenchRequest("hello", 1, 1), 0, cts.Token));

        Assert.All(timelines, t => Assert.True(t.Success, t.Error));
        Assert.Equal([0, 1, 1, 1], timelines.Select(t => t.Retries));
        var (served, dropped) = await server;
        Assert.Equal((requests, requests - 1), (served, dropped));
        var metrics = MetricsCalculator.Compute(timelines, 1.0, null);
        Assert.Equal((requests, 0, requests - 1), (metrics.Completed, metrics.Failed, metrics.Retries));
    }

    [Fact]
    public async Task AServerThatClosesEveryConnectionUnansweredFailsAfterTheLastAttempt()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int accepted = 0;
        var server = Task.Run(async () =>
        {
            for (int c = 0; c < OpenAiStreamClient.MaxAttempts; c++)
            {
                using var s = await listener.AcceptTcpClientAsync(cts.Token);
                await ReadRequestAsync(s.GetStream(), cts.Token);
                accepted++;
            }
        });
        var target = new Target("mute", new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}"), "m");
        using var client = new OpenAiStreamClient(target, EndpointKind.Chat, ignoreEos: true);
        var t = await client.SendAsync(new BenchRequest("hello", 1, 1), 0, cts.Token);
        await server;
        Assert.False(t.Success);
        Assert.StartsWith("HttpRequestException", t.Error);
        Assert.Equal((OpenAiStreamClient.MaxAttempts - 1, OpenAiStreamClient.MaxAttempts), (t.Retries, accepted));
    }
}
