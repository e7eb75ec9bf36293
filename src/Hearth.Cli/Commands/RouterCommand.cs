using System.CommandLine;
using System.Net;
using Hearth.Cli.FleetBench;
using Hearth.Router.Bench;
using Hearth.Router.Config;
using Hearth.Router.Hosting;

namespace Hearth.Cli.Commands;

/// <summary>`hearth router`: one OpenAI endpoint in front of many upstreams (replicas, models, fallbacks, keys),
/// plus the hidden `hearth router bench` that measures the router's own overhead.</summary>
internal static class RouterCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "Router YAML (upstreams, models, keys, health checks)" };
        var host = new Option<string>("--host") { Description = "Address to bind", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Port to listen on", DefaultValueFactory = _ => 4000 };
        var origins = new Option<string[]>("--allowed-origins") { Description = "Browser origins allowed besides the router's own and localhost ones (adds to allowed_origins in the YAML)", Arity = ArgumentArity.ZeroOrMore };
        var hosts = new Option<string[]>("--allowed-hosts") { Description = "Host header names accepted besides localhost ones (adds to allowed_hosts in the YAML)", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("router", "Route OpenAI requests across upstream servers: per-model replicas (least-outstanding, round-robin, prefix-affinity or kv-aware), "
            + "health checks, circuit breaking, retries, fallbacks, virtual keys with limits and budgets, usage in SQLite, /metrics.");
        command.Options.Add(config);
        command.Options.Add(host);
        command.Options.Add(port);
        command.Options.Add(origins);
        command.Options.Add(hosts);
        var otlp = new Option<string?>("--otlp-endpoint") { Description = "Send OpenTelemetry traces over OTLP to this URL (default: OTEL_EXPORTER_OTLP_ENDPOINT; off when neither is set)" };
        otlp.Validators.Add(r => { if (r.GetValueOrDefault<string?>() is { } u && !(Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")) r.AddError("--otlp-endpoint must be an http(s) URL, e.g. http://127.0.0.1:4317"); });
        command.Options.Add(otlp);
        command.Subcommands.Add(CreateBench());
        command.Subcommands.Add(CreateKvBench());
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(config);
            if (path is null) { Console.Error.WriteLine("hearth router: --config <router.yaml> is required"); return 2; }
            var p = parse.GetValue(port);
            if (p is < 0 or > 65535) { Console.Error.WriteLine($"hearth router: --port {p} is out of range"); return 2; }
            var h = parse.GetValue(host)!;
            if (h != "localhost" && !IPAddress.TryParse(h, out _)) { Console.Error.WriteLine($"hearth router: --host '{h}' is not an IP address"); return 2; }
            RouterConfig cfg;
            try { cfg = RouterConfigLoader.LoadFile(path); }
            catch (RouterConfigException e) { Console.Error.WriteLine("hearth router: " + e.Message); return 2; }
            cfg = cfg with
            {
                AllowedOrigins = [.. cfg.AllowedOrigins, .. Split(parse.GetValue(origins))],
                AllowedHosts = [.. cfg.AllowedHosts, .. Split(parse.GetValue(hosts))],
            };
            if (cfg.MasterKey is null && h is not ("127.0.0.1" or "localhost" or "::1"))
                Console.Error.WriteLine($"hearth router: warning: no master_key in {path}, and binding {h} exposes an open proxy");
            RouterHost router;
            try { router = await RouterHost.StartAsync(cfg, h, p, log: true, ct, otlpEndpoint: parse.GetValue(otlp)); }
            catch (IOException e) { Console.Error.WriteLine($"hearth router: cannot listen on {h}:{p}: {e.Message}"); return 1; }
            await using (router)
            {
                var auth = cfg.MasterKey is null ? "auth: none (no master_key)" : "auth: master key and virtual keys required";
                Console.WriteLine($"hearth router listening on {router.Address} ({cfg.Upstreams.Count} upstreams, models: {string.Join(", ", cfg.Models.Keys)}; {auth})");
                try { await router.WaitForShutdownAsync(ct); }
                catch (OperationCanceledException) { }
            }
            return 0;
        });
        return command;
    }

    private static IEnumerable<string> Split(string[]? values) =>
        (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static Command CreateKvBench()
    {
        var replicas = new Option<int>("--replicas") { Description = "hearth serve processes behind the router", DefaultValueFactory = _ => 3 };
        var conversations = new Option<int>("--conversations") { Description = "Conversations in the workload", DefaultValueFactory = _ => 24 };
        var turns = new Option<int>("--turns") { Description = "Turns per conversation (each extends the last one's prompt)", DefaultValueFactory = _ => 6 };
        var concurrency = new Option<int>("--concurrency") { Description = "Conversations running at once", DefaultValueFactory = _ => 6 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "max_tokens of each turn", DefaultValueFactory = _ => 24 };
        var bench = new Command("bench-kv", "Measure kv-aware routing against round-robin and one server alone: a multi-turn chat workload on "
            + "fresh `hearth serve` processes of the embedded model (prefix-cache hit rate across the fleet, TTFT p50/p99)") { Hidden = true };
        foreach (var o in new[] { replicas, conversations, turns, concurrency, maxTokens }) bench.Options.Add(o);
        bench.SetAction(async (parse, ct) =>
        {
            var n = parse.GetValue(replicas);
            var workload = new ConversationWorkload(parse.GetValue(conversations), parse.GetValue(turns), parse.GetValue(concurrency), parse.GetValue(maxTokens));
            if (n is < 2 or > 16 || workload.Conversations is < 1 or > 10_000 || workload.Turns is < 1 or > 100 || workload.Concurrency is < 1 or > 1024 || workload.MaxTokens is < 1 or > 4096)
            {
                Console.Error.WriteLine("hearth router bench-kv: --replicas in [2, 16], --conversations in [1, 10000], --turns in [1, 100], --concurrency in [1, 1024], --max-tokens in [1, 4096]");
                return 2;
            }
            await KvRoutingBenchmark.RunAsync(workload, n, "tinystories", async (count, token) =>
                await ProcessServeFleet.StartAsync(count, ["--threads", "1"], TimeSpan.FromMinutes(2), token), Console.Out, ct);
            return 0;
        });
        return bench;
    }

    private static Command CreateBench()
    {
        var requests = new Option<int>("--requests") { Description = "Requests per latency run", DefaultValueFactory = _ => 2000 };
        var concurrency = new Option<int>("--concurrency") { Description = "Concurrency of the latency runs", DefaultValueFactory = _ => 8 };
        var levels = new Option<string>("--throughput") { Description = "Comma-separated concurrencies for the throughput runs", DefaultValueFactory = _ => "32,64" };
        var bench = new Command("bench", "Measure the router's added latency and throughput ceiling against an in-process fake upstream") { Hidden = true };
        bench.Options.Add(requests);
        bench.Options.Add(concurrency);
        bench.Options.Add(levels);
        bench.SetAction(async (parse, ct) =>
        {
            var n = parse.GetValue(requests);
            var c = parse.GetValue(concurrency);
            var ls = new List<int>();
            foreach (var part in parse.GetValue(levels)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!int.TryParse(part, out var l) || l is < 1 or > 4096) { Console.Error.WriteLine($"hearth router bench: bad --throughput level '{part}'"); return 2; }
                ls.Add(l);
            }
            if (n is < 10 or > 10_000_000 || c is < 1 or > 4096) { Console.Error.WriteLine("hearth router bench: --requests must be >= 10 and --concurrency in [1, 4096]"); return 2; }
            await RouterBench.RunAsync(n, c, ls, Console.Out, ct);
            return 0;
        });
        return bench;
    }
}
