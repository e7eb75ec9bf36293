using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Hearth.Cli.FleetBench;

/// <summary>Replicas of `hearth serve` for a benchmark: their origins (http://127.0.0.1:PORT/).</summary>
public interface IServeFleet : IAsyncDisposable
{
    IReadOnlyList<Uri> Origins { get; }
}

/// <summary>Prefix-cache counters summed over a fleet, read from each replica's /metrics.</summary>
public readonly record struct PrefixCacheTotals(long QueriedTokens, long HitTokens)
{
    public double HitRate => QueriedTokens == 0 ? 0 : (double)HitTokens / QueriedTokens;

    public static async Task<PrefixCacheTotals> ReadAsync(HttpClient http, IEnumerable<Uri> origins, CancellationToken ct)
    {
        long queried = 0, hits = 0;
        foreach (var origin in origins)
        {
            var text = await http.GetStringAsync(new Uri(origin, "metrics"), ct);
            queried += Sum(text, "hearth:prefix_cache_queries_total");
            hits += Sum(text, "hearth:prefix_cache_hits_total");
        }
        return new PrefixCacheTotals(queried, hits);
    }

    private static long Sum(string metrics, string name)
    {
        long total = 0;
        foreach (var line in metrics.Split('\n'))
            if (line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
                total += (long)double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
        return total;
    }
}

/// <summary>N `hearth serve` processes of this very executable on free loopback ports, each on the embedded default
/// model with its own temporary model store; killed (and their stores deleted) on dispose.</summary>
public sealed class ProcessServeFleet : IServeFleet
{
    private readonly List<Process> _processes = [];
    private readonly string _home = Path.Combine(Path.GetTempPath(), "hearth-fleet-" + Guid.NewGuid().ToString("N")[..12]);

    public IReadOnlyList<Uri> Origins { get; private set; } = [];

    public static async Task<ProcessServeFleet> StartAsync(int replicas, IReadOnlyList<string> serveArgs, TimeSpan readyTimeout, CancellationToken ct)
    {
        var fleet = new ProcessServeFleet();
        try
        {
            var origins = new List<Uri>();
            for (var i = 0; i < replicas; i++)
            {
                var port = FreePort();
                var start = SelfInvocation(["serve", "--port", port.ToString(CultureInfo.InvariantCulture), .. serveArgs]);
                start.Environment["HEARTH_HOME"] = Path.Combine(fleet._home, i.ToString(CultureInfo.InvariantCulture));
                start.RedirectStandardOutput = start.RedirectStandardError = true;
                var p = Process.Start(start) ?? throw new InvalidOperationException("could not start hearth serve");
                p.OutputDataReceived += (_, _) => { };
                p.ErrorDataReceived += (_, _) => { };
                p.BeginOutputReadLine();
                p.BeginErrorReadLine();
                fleet._processes.Add(p);
                origins.Add(new Uri($"http://127.0.0.1:{port}/"));
            }
            fleet.Origins = origins;
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var deadline = Stopwatch.StartNew();
            foreach (var origin in origins)
                while (!await IsReadyAsync(http, origin, ct))
                {
                    if (deadline.Elapsed > readyTimeout) throw new TimeoutException($"hearth serve at {origin} was not ready within {readyTimeout.TotalSeconds:F0} s");
                    if (fleet._processes.Any(p => p.HasExited)) throw new InvalidOperationException("a hearth serve process exited during start-up");
                    await Task.Delay(200, ct);
                }
            return fleet;
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }

    private static async Task<bool> IsReadyAsync(HttpClient http, Uri origin, CancellationToken ct)
    {
        try
        {
            using var r = await http.GetAsync(new Uri(origin, "ready"), ct);
            return r.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false; // not listening yet
        }
    }

    /// <summary>How to run this executable again: `dotnet hearth.dll …` when run through the dotnet host, else the apphost.</summary>
    private static ProcessStartInfo SelfInvocation(IEnumerable<string> args)
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("the process path is unknown");
        var start = new ProcessStartInfo(host) { UseShellExecute = false };
        // Under the dotnet host the first command-line argument is the entry assembly's path (single-file apps have none).
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(Environment.GetCommandLineArgs()[0]);
        foreach (var a in args) start.ArgumentList.Add(a);
        return start;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _processes)
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
            p.Dispose();
        }
        if (Directory.Exists(_home)) Directory.Delete(_home, recursive: true);
    }
}
