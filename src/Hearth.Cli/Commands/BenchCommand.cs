using System.CommandLine;
using Hearth.Cli.Support;
using Hearth.Bench.Client;
using Hearth.Bench.Metrics;
using Hearth.Bench.Running;
using Hearth.Bench.Workloads;
using Hearth.Core.Gguf;
using Hearth.Core.Tokenizers;

namespace Hearth.Cli.Commands;

/// <summary>`hearth bench`: a concurrency (or request-rate) sweep against any OpenAI-compatible server,
/// measuring TTFT, TPOT, ITL, E2EL and throughputs the way vLLM's serving benchmark does.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "Base URL of the OpenAI-compatible server (e.g. http://127.0.0.1:11435)", Required = true };
        var model = new Option<string?>("--model") { Description = "Model name to send (or --models)" };
        var models = new Option<string?>("--models") { Description = "Comma-separated model names sent round-robin, one per request (e.g. LoRA adapters served as models)" };
        var apiKey = new Option<string?>("--api-key") { Description = "Bearer key for --url (and --compare-url)" };
        var concurrency = new Option<string?>("--concurrency") { Description = "Comma-separated concurrency levels (closed loop), e.g. 1,4,16,64" };
        var rate = new Option<string?>("--rate") { Description = "Comma-separated request rates in req/s (open loop, Poisson arrivals, seeded), e.g. 1,2,4" };
        var requests = new Option<int?>("--requests") { Description = "Requests per level (default: 5 x concurrency, or 30 s of arrivals; at least 20)" };
        var duration = new Option<double>("--duration") { Description = "Seconds per level at most; running requests are cut off then", DefaultValueFactory = _ => 120 };
        var inputLen = new Option<int>("--input-len") { Description = "Prompt tokens per request", DefaultValueFactory = _ => 128 };
        var outputLen = new Option<int?>("--output-len") { Description = "max_tokens per request (default 128; with --dataset, default is the reply's length)" };
        var rangeRatio = new Option<double>("--range-ratio") { Description = "Sample lengths uniformly in [len*(1-R), len*(1+R)]", DefaultValueFactory = _ => 0 };
        var prefixLen = new Option<int>("--prefix-len") { Description = "Tokens of one shared prefix put before every prompt (prefix caching)", DefaultValueFactory = _ => 0 };
        var dataset = new Option<string?>("--dataset") { Description = "ShareGPT-format JSON: first human turn = prompt, first gpt turn's length = output length" };
        var ignoreEos = new Option<bool>("--ignore-eos") { Description = "Send ignore_eos so every request generates exactly max_tokens (vLLM, llama.cpp)" };
        var endpoint = new Option<string>("--endpoint") { Description = "chat (/v1/chat/completions), completions (/v1/completions) or embeddings (/v1/embeddings: inputs/s and tokens/s)", DefaultValueFactory = _ => "chat" };
        var responseFormat = new Option<string?>("--response-format") { Description = "Constrain every answer: json_object, or a JSON Schema file (sent as a strict json_schema response_format)" };
        var batch = new Option<int>("--batch") { Description = "embeddings: texts per request", DefaultValueFactory = _ => 1 };
        var json = new Option<string?>("--json") { Description = "Write every figure to this JSON file" };
        var html = new Option<string?>("--html") { Description = "Write a self-contained HTML report with charts to this file" };
        var compareUrl = new Option<string?>("--compare-url") { Description = "Second server to run the same sweep against, side by side" };
        var compareModel = new Option<string?>("--compare-model") { Description = "Model name on --compare-url (default: --model)" };
        var slo = new Option<string?>("--slo") { Description = "Objectives for goodput in ms, e.g. ttft=500,tpot=50 (also e2el=MS)" };
        var seed = new Option<int>("--seed") { Description = "Seed for prompts and arrival times", DefaultValueFactory = _ => 0 };
        var warmup = new Option<int>("--warmup") { Description = "Unmeasured requests per server before the sweep", DefaultValueFactory = _ => 1 };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "GGUF file whose tokenizer makes prompt lengths exact (else ~1 token per word)" };

        // The metric glossary is printed by `hearth bench --help` only (CommandHelp), not in the top-level command list.
        var command = new Command("bench", "Benchmark an OpenAI-compatible server (Hearth, llama-server, Ollama, vLLM) over a concurrency or rate sweep.");
        foreach (var o in new Option[] { url, model, models, apiKey, concurrency, rate, requests, duration, inputLen, outputLen, rangeRatio, prefixLen,
                     dataset, ignoreEos, endpoint, json, html, compareUrl, compareModel, slo, seed, warmup, tokenizer, batch, responseFormat })
            command.Options.Add(o);

        command.SetAction(async (parse, ct) =>
        {
            try
            {
                if ((parse.GetValue(concurrency) is null) == (parse.GetValue(rate) is null))
                    throw new FormatException("give exactly one of --concurrency or --rate");
                var mode = parse.GetValue(concurrency) is not null ? LoadMode.Concurrency : LoadMode.Rate;
                var levels = mode == LoadMode.Concurrency
                    ? BenchApp.ParseLevels(parse.GetValue(concurrency)!, "--concurrency")
                    : BenchApp.ParseLevels(parse.GetValue(rate)!, "--rate");
                var key = parse.GetValue(apiKey);
                var names = (parse.GetValue(models) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (parse.GetValue(model) is null && names.Length == 0) throw new FormatException("give --model NAME or --models A,B,…");
                var targets = new List<Target> { MakeTarget("A", parse.GetValue(url)!, parse.GetValue(model) ?? string.Join(",", names), key, "--url") with { Models = names.Length > 0 ? names : null } };
                if (parse.GetValue(compareUrl) is { } cu)
                    targets.Add(MakeTarget("B", cu, parse.GetValue(compareModel) ?? targets[0].Model, key, "--compare-url"));
                var tokenizerPath = parse.GetValue(tokenizer);
                if (parse.GetValue(endpoint)?.ToLowerInvariant() == "embeddings")
                    return await EmbeddingBenchRun.RunAsync(targets, mode, levels, parse.GetValue(requests), parse.GetValue(batch),
                        parse.GetValue(inputLen), tokenizerPath is null ? null : LoadTokenizer(tokenizerPath), parse.GetValue(seed), parse.GetValue(json), ct);
                var kind = parse.GetValue(endpoint)?.ToLowerInvariant() switch
                {
                    "chat" => EndpointKind.Chat,
                    "completions" => EndpointKind.Completions,
                    var other => throw new FormatException($"--endpoint: '{other}' is not chat, completions or embeddings"),
                };
                var dur = parse.GetValue(duration);
                if (!(dur > 0) || !double.IsFinite(dur)) throw new FormatException("--duration must be a positive number of seconds");
                var datasetPath = parse.GetValue(dataset);
                var outLen = parse.GetValue(outputLen);
                var spec = new WorkloadSpec(parse.GetValue(inputLen), outLen ?? 128, parse.GetValue(rangeRatio), parse.GetValue(prefixLen),
                    datasetPath, datasetPath is not null ? outLen : null);
                var config = new BenchConfig(targets, kind, mode, levels, parse.GetValue(requests), TimeSpan.FromSeconds(dur), spec,
                    parse.GetValue(ignoreEos), parse.GetValue(slo) is { } s ? Slo.Parse(s) : null, parse.GetValue(seed),
                    parse.GetValue(warmup), tokenizerPath,
                    parse.GetValue(responseFormat) is { } rf ? BenchConfig.ResponseFormatFor(rf) : null);
                var tok = tokenizerPath is null ? null : LoadTokenizer(tokenizerPath);
                return await BenchApp.RunAsync(config, tok, parse.GetValue(json), parse.GetValue(html), Console.Out, Console.Error,
                    interactive: !Console.IsOutputRedirected, ct, Console.IsOutputRedirected ? null : LiveConsole.For(Console.Out));
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine("hearth bench: " + e.Message);
                return 2;
            }
        });
        return command;
    }

    private static Target MakeTarget(string label, string url, string model, string? key, string option)
    {
        if (!Target.TryParseUrl(url, out var uri)) throw new FormatException($"{option}: '{url}' is not an http:// or https:// URL");
        if (string.IsNullOrWhiteSpace(model)) throw new FormatException("--model must not be empty");
        return new Target(label, uri, model, key);
    }

    private static ITokenizer LoadTokenizer(string path)
    {
        if (!File.Exists(path)) throw new FormatException($"--tokenizer: file not found: {path}");
        try { return TokenizerFactory.FromGguf(path); }
        catch (Exception e) when (e is GgufException or IOException or InvalidDataException)
        {
            throw new FormatException($"--tokenizer: cannot read a tokenizer from {path}: {e.Message}", e);
        }
    }
}
