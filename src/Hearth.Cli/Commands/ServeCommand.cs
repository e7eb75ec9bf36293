using System.CommandLine;
using System.Globalization;
using Hearth.Cli.Support;
using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Engine;
using Hearth.Server;
using Hearth.Store;
using Hearth.Store.Hosting;
using Microsoft.AspNetCore.Builder;

namespace Hearth.Cli.Commands;

/// <summary>`hearth serve`: the OpenAI- and Ollama-compatible HTTP server. Models named with --model are loaded at
/// start-up (GGUF files directly, or names from the store); without --model the embedded TinyStories model is the
/// default and other store models load on first use.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var model = new Option<string[]>("--model", "-m") { Description = "Model to serve: a store name (name:tag) or a GGUF file; repeat for more. The first is the default", Arity = ArgumentArity.ZeroOrMore };
        var host = new Option<string>("--host") { Description = "Address to bind (127.0.0.1: this machine only; 0.0.0.0: all interfaces)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port", "-p") { Description = "TCP port", DefaultValueFactory = _ => 11435 };
        var apiKey = new Option<string[]>("--api-key") { Description = "Require this API key (Authorization: Bearer KEY) on every endpoint but /health; repeatable", Arity = ArgumentArity.ZeroOrMore };
        var apiKeyFile = new Option<string?>("--api-key-file") { Description = "File with one API key per line" };
        var allowUnauthenticated = new Option<bool>("--allow-unauthenticated") { Description = "Allow binding a non-loopback --host with no API key (anyone who reaches it can use it)" };
        var origins = new Option<string[]>("--allowed-origins", "--cors-origin") { Description = "Browser origins allowed besides this server's own and localhost ones ('*' wildcard; '*' alone allows any); repeatable or comma-separated", Arity = ArgumentArity.ZeroOrMore };
        var hosts = new Option<string[]>("--allowed-hosts") { Description = "Host header names accepted besides localhost, 127.0.0.1 and [::1] ('*' wildcard); repeatable or comma-separated", Arity = ArgumentArity.ZeroOrMore };
        var noApiPull = new Option<bool>("--no-api-pull") { Description = "Refuse /api/pull: the server never downloads models for a client (for exposed deployments)" };
        var threads = new Option<int>("--threads") { Description = "CPU threads per model (0: all cores)", DefaultValueFactory = _ => 0 };
        var kvMemory = new Option<string?>("--kv-cache-memory") { Description = "KV cache size per model, e.g. 512MiB or 2GiB (default: a quarter of available memory)" };
        var kvType = new Option<string>("--kv-cache-type") { Description = "KV cache element type: f32 (exact), f16 (half the memory), q8_0 (34/128 of it; logits within ~1–3 % of the f16 cache's); the same --kv-cache-memory then holds that many more tokens (CPU backend)", DefaultValueFactory = _ => "f32" };
        kvType.AcceptOnlyFromAmong("f32", "f16", "q8_0"); // q4_0 exists in the engine but loses too much (7–16 % logit error)
        var maxSeqs = new Option<int?>("--max-num-seqs") { Description = "Most sequences decoded together per step (default 64)" };
        var maxBatched = new Option<int?>("--max-num-batched-tokens") { Description = "Token budget of one engine step (default 512)" };
        var itlRatio = new Option<double?>("--itl-ratio") { Description = "While streams decode, a step with prompt chunks may cost at most this many times a decode-only step: bounds inter-token latency under arriving prompts (default 2; 0: prompts fill --max-num-batched-tokens)" };
        var stepCost = new Option<double?>("--step-fixed-cost-tokens") { Description = "A step's fixed cost (reading the weights) in prompt-token equivalents, for --itl-ratio's budget (default: measured from the steps as they run)" };
        var longPrefill = new Option<int?>("--long-prefill-token-threshold") { Description = "Most prompt tokens one request computes per step, so arriving prompts share a step (default 0: no limit)" };
        var maxQueued = new Option<int?>("--max-queued-requests") { Description = "Waiting requests beyond which new ones get 429 (default 256)" };
        var maxLoaded = new Option<int?>("--max-loaded-models") { Description = "Most models loaded at once; least recently used idle ones are unloaded (default: no limit)" };
        var device = new Option<string>("--device") { Description = "Where models run: cpu, cuda, or auto (CUDA when a device and libcuda are present, else the CPU)", DefaultValueFactory = _ => "auto" };
        device.AcceptOnlyFromAmong(DeviceSelection.Choices);
        var gpuMemory = new Option<double>("--gpu-memory-utilization") { Description = "Fraction of GPU memory a model may use for weights and KV cache (sizes the KV cache from free device memory)", DefaultValueFactory = _ => 0.9 };
        var drain = new Option<int>("--drain-timeout") { Description = "Seconds running requests may take to finish after SIGTERM/Ctrl+C before they are cut (default 10)", DefaultValueFactory = _ => 10 };
        var noUi = new Option<bool>("--no-ui") { Description = "Do not serve the web UI at / (the APIs are unchanged)" };
        var lora = new Option<string[]>("--lora") { Description = "Serve a LoRA adapter GGUF (llama.cpp format) as its own model name on the default model: NAME=FILE[:SCALE]; repeatable", Arity = ArgumentArity.ZeroOrMore };
        var maxLoras = new Option<int>("--max-loras") { Description = "Most LoRA adapters loaded per model at once; least recently used ones are unloaded (and reloaded on use)", DefaultValueFactory = _ => 8 };
        maxLoras.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--max-loras must be ≥ 1"); });
        var otlp = new Option<string?>("--otlp-endpoint") { Description = "Send OpenTelemetry traces over OTLP to this URL (default: OTEL_EXPORTER_OTLP_ENDPOINT; off when neither is set)" };
        otlp.Validators.Add(r => { if (r.GetValueOrDefault<string?>() is { } u && !(Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")) r.AddError("--otlp-endpoint must be an http(s) URL, e.g. http://127.0.0.1:4317"); });
        var command = new Command("serve", "Serve models over OpenAI- and Ollama-compatible HTTP APIs")
        {
            model, host, port, apiKey, apiKeyFile, allowUnauthenticated, origins, hosts, noApiPull, threads, kvMemory, kvType, maxSeqs, maxBatched, itlRatio, stepCost, longPrefill, maxQueued, maxLoaded, drain, noUi, device, gpuMemory, otlp, lora, maxLoras,
        };
        var speculative = new SpeculativeFlags();
        speculative.AddTo(command);
        drain.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 0 or > 86400) r.AddError("--drain-timeout must be between 0 and 86400 seconds"); });
        port.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 0 or > 65535) r.AddError("--port must be between 0 and 65535"); });
        itlRatio.Validators.Add(r => { if (r.GetValueOrDefault<double?>() is double v && !(v == 0 || v >= 1 && double.IsFinite(v))) r.AddError("--itl-ratio must be 0 (off) or ≥ 1"); });
        stepCost.Validators.Add(r => { if (r.GetValueOrDefault<double?>() is double v && !(v >= 0 && double.IsFinite(v))) r.AddError("--step-fixed-cost-tokens must be ≥ 0"); });
        longPrefill.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is < 0) r.AddError("--long-prefill-token-threshold must be ≥ 0"); });
        threads.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--threads must be ≥ 0"); });
        gpuMemory.Validators.Add(r => { if (r.GetValueOrDefault<double>() is not (> 0 and <= 1)) r.AddError("--gpu-memory-utilization must be in (0, 1]"); });

        // Synchronous on purpose: ASP.NET Core's console lifetime then owns SIGTERM/Ctrl+C and drains in-flight
        // requests for the shutdown deadline (an async System.CommandLine action would be killed after 2 s).
        command.SetAction(parse =>
        {
            var error = parse.InvocationConfiguration.Error;
            try
            {
                var engine = new EngineOptions();
                engine = engine with
                {
                    KvCacheMemoryBytes = parse.GetValue(kvMemory) is { } kv ? ParseSize(kv, "--kv-cache-memory") : null,
                    KvCacheType = KvCacheTypes.TryParse(parse.GetValue(kvType), out var kvt) ? kvt : engine.KvCacheType,
                    MaxNumSeqs = parse.GetValue(maxSeqs) ?? engine.MaxNumSeqs,
                    MaxNumBatchedTokens = parse.GetValue(maxBatched) ?? engine.MaxNumBatchedTokens,
                    MaxQueuedRequests = parse.GetValue(maxQueued) ?? engine.MaxQueuedRequests,
                    InterTokenLatencyRatio = parse.GetValue(itlRatio) ?? engine.InterTokenLatencyRatio,
                    LongPrefillTokenThreshold = parse.GetValue(longPrefill) ?? engine.LongPrefillTokenThreshold,
                    StepFixedCostTokens = parse.GetValue(stepCost),
                };
                engine = speculative.Apply(parse, engine);
                var options = new ServerOptions
                {
                    Host = parse.GetValue(host)!,
                    Port = parse.GetValue(port),
                    ApiKeys = parse.GetValue(apiKey) ?? [],
                    ApiKeyFile = parse.GetValue(apiKeyFile),
                    AllowUnauthenticated = parse.GetValue(allowUnauthenticated),
                    AllowedOrigins = List(parse.GetValue(origins)),
                    AllowedHosts = List(parse.GetValue(hosts)),
                    AllowApiPull = !parse.GetValue(noApiPull),
                    ShutdownDeadline = TimeSpan.FromSeconds(parse.GetValue(drain)),
                    WebUi = !parse.GetValue(noUi),
                    OtlpEndpoint = parse.GetValue(otlp),
                };
                var keys = options.Validate(); // key rules and exposure, before any model is loaded
                var computeDevice = DeviceSelection.Resolve(parse.GetValue(device)!, out var why);
                parse.InvocationConfiguration.Output.WriteLine($"hearth: device {why}");
                var settings = new ServeEngineSettings(parse.GetValue(threads), engine, computeDevice, parse.GetValue(gpuMemory), parse.GetValue(maxLoras))
                {
                    DraftModelPath = parse.GetValue(speculative.DraftModel),
                };
                var adapters = (parse.GetValue(lora) ?? []).Select(ParseLora).ToList();
                return RunAsync(options, keys.Count, parse.GetValue(model) ?? [], settings, parse.GetValue(maxLoaded), parse.InvocationConfiguration.Output, adapters)
                    .GetAwaiter().GetResult();
            }
            catch (KvCacheTooSmallException e)
            {
                error.WriteLine($"Error: {e.Message}; give --kv-cache-memory at least {e.MinimumBytes} bytes");
                return 1;
            }
            catch (Exception e) when (e is CliException or ArgumentException or IOException or GgufException or ModelStoreException
                                          or ModelNotFoundException or InvalidDataException or NotSupportedException or UnauthorizedAccessException
                                          or Hearth.Core.Templates.TemplateException or Hearth.Engine.Lora.LoraException)
            {
                error.WriteLine("Error: " + e.Message.ReplaceLineEndings(" ").Trim());
                return 1;
            }
        });
        return command;
    }

    /// <summary>Repeatable options also take comma-separated lists.</summary>
    private static IReadOnlyList<string> List(string[]? values) =>
        (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();

    /// <summary>NAME=FILE[:SCALE] (a trailing ":number" is the scale; the file may hold other colons).</summary>
    internal static LoraSpec ParseLora(string text)
    {
        int eq = text.IndexOf('=');
        if (eq <= 0 || eq == text.Length - 1) throw new CliException($"--lora '{text}': expected NAME=FILE[:SCALE]");
        string name = text[..eq], file = text[(eq + 1)..];
        float scale = 1;
        int colon = file.LastIndexOf(':');
        if (colon > 0 && float.TryParse(file[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var s))
        {
            scale = s;
            file = file[..colon];
        }
        if (name.Contains('+')) throw new CliException($"--lora '{text}': an adapter name cannot contain '+'");
        if (!File.Exists(file)) throw new CliException($"--lora '{text}': file '{file}' not found");
        return new LoraSpec(name, Path.GetFullPath(file), scale);
    }

    private static async Task<int> RunAsync(ServerOptions options, int keyCount, string[] models, ServeEngineSettings settings, int? maxLoaded, TextWriter output,
        IReadOnlyList<LoraSpec> adapters)
    {
        var (inner, catalog, startup) = OpenModels(models, settings, maxLoaded, output);
        var host = new LoraModelHost(inner, new LoraRegistry());
        foreach (var a in adapters)
            if (!host.Registry.TryAdd(a)) throw new CliException($"--lora: the name '{a.Name}' is given twice");
        await using var _ = host;
        var app = HearthServer.Build(options, host, catalog);
        try
        {
            try
            {
                await app.StartAsync();
            }
            catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse }
                                       || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                throw new CliException($"port {options.Port} on {options.Host} is already in use (is another hearth running?); stop it or pick another with --port");
            }
            var where = string.Join(", ", HearthServer.BoundAddresses(app));
            var scope = (options.IsLoopbackOnly ? "localhost only; use --host 0.0.0.0 to accept other machines" : "all interfaces")
                + "; " + options.DescribeAuth(keyCount);
            // Bound before loading: /health answers during a long load and /ready turns 200 once the default model
            // is in; requests that arrive meanwhile wait for that same load. A failed load still ends the command
            // with its error and exit code 1.
            foreach (var name in startup)
            {
                output.WriteLine($"hearth: loading {name} (listening at {where}; /ready reports when it is loaded)");
                // A negative keep-alive pins the model: models named at start-up stay loaded.
                using var lease = await host.AcquireAsync(name, Timeout.InfiniteTimeSpan, CancellationToken.None);
            }
            foreach (var a in adapters)
            {
                // Loaded now so that a file that does not fit the model stops the server with its reason.
                using var lease = await host.AcquireAsync(a.Name, Timeout.InfiniteTimeSpan, CancellationToken.None);
                output.WriteLine($"hearth: LoRA adapter {a.Name} ({a.Path}, scale {a.Scale}) on {lease.Model.BaseModelName}");
            }
            output.WriteLine($"hearth: serving {host.DefaultModelName} at {where} ({scope}). OpenAI API under /v1, Ollama API under /api{(options.WebUi ? $", web UI at {where.Split(", ")[0]}/" : "")}. Ctrl+C to stop.");
            await app.WaitForShutdownAsync();
            return 0;
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    /// <summary>GGUF files → a fixed set of models, loaded now (no store). Store names (or none: the embedded default)
    /// → the store with on-demand loading, plus the names to load (and pin) once the server is listening.</summary>
    private static (IModelHost Host, IModelCatalog? Catalog, IReadOnlyList<string> Startup) OpenModels(string[] models, ServeEngineSettings settings, int? maxLoaded, TextWriter output)
    {
        var files = models.Where(File.Exists).ToList();
        if (files.Count > 0 && files.Count != models.Length)
            throw new CliException("--model takes either GGUF files or store names, not both");
        if (files.Count > 0)
        {
            var loaded = new List<LoadedModel>();
            foreach (var f in files)
            {
                var name = Path.GetFileNameWithoutExtension(f).ToLowerInvariant() + ":latest";
                output.WriteLine($"hearth: loading {f} as {name}");
                loaded.Add(ServeModelLoader.Load(name, Path.GetFullPath(f), null, settings));
            }
            return (new StaticModelHost(loaded, files.Select((f, i) => (loaded[i].Name, new FileInfo(f).Length)).ToDictionary()), null, []);
        }

        var store = CliContext.Current.OpenStore();
        var embedded = EmbeddedModel.EnsureRegistered(store);
        var names = models.Select(m => (store.Find(m) ?? throw new CliException($"model '{m}' not found; pull it first with `hearth pull {m}`")).Name).ToList();
        var hostOptions = new ModelHostOptions { DefaultModelName = names.FirstOrDefault() ?? embedded.Name, DefaultKeepAlive = TimeSpan.FromMinutes(5) };
        if (maxLoaded is { } m) hostOptions = hostOptions with { MaxLoadedModels = m };
        var host = new ModelHost(store,
            (entry, ct) => Task.Run(() => ServeModelLoader.Load(entry.Name, entry.GgufPath, entry, settings), ct), hostOptions);
        return (host, store, names.DefaultIfEmpty(hostOptions.DefaultModelName).ToList());
    }

    /// <summary>"512MiB", "2GiB", "2G", "1048576" → bytes.</summary>
    internal static long ParseSize(string text, string option)
    {
        var s = text.Trim();
        var split = s.Length;
        while (split > 0 && char.IsAsciiLetter(s[split - 1])) split--;
        var unit = s[split..].ToUpperInvariant().Replace("IB", "").TrimEnd('B');
        long scale = unit switch { "" => 1, "K" => 1L << 10, "M" => 1L << 20, "G" => 1L << 30, "T" => 1L << 40, _ => 0 };
        if (scale == 0 || !double.TryParse(s[..split], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || n <= 0)
            throw new CliException($"{option}: '{text}' is not a size such as 512MiB or 2GiB");
        return (long)(n * scale);
    }
}
