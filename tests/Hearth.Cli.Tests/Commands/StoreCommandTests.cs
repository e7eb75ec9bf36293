using System.Text.RegularExpressions;

namespace Hearth.Cli.Tests.Commands;

public sealed class StoreCommandTests : IDisposable
{
    private readonly CliHarness _cli = new();
    public void Dispose() => _cli.Dispose();

    private static string[] Cells(string line) => Regex.Split(line.Trim(), @"\s{4,}");

    private async Task CreateTiny(string name = "tiny")
    {
        var mf = _cli.WriteModelfile($"FROM {CliHarness.Gguf}\nPARAMETER temperature 0.2\nPARAMETER stop <|end_story|>\nSYSTEM Tell short stories.");
        var r = await _cli.RunAsync("create", name, "-f", mf);
        Assert.Equal(("", 0), (r.Err, r.ExitCode));
        Assert.EndsWith($"created {name}:latest\n", r.Out);
    }

    [Fact]
    public async Task ListOfEmptyStoreIsJustTheHeader()
    {
        var r = await _cli.RunAsync("list");
        Assert.Equal((0, "NAME    ID    SIZE    MODIFIED\n", ""), (r.ExitCode, r.Out, r.Err));
    }

    [Fact]
    public async Task CreateListShowCopyRemove()
    {
        await CreateTiny();
        var list = await _cli.RunAsync("list");
        var lines = list.Out.TrimEnd('\n').Split('\n');
        Assert.Equal(["NAME", "ID", "SIZE", "MODIFIED"], Cells(lines[0]));
        var row = Cells(lines[1]);
        Assert.Equal("tiny:latest", row[0]);
        Assert.Matches("^[0-9a-f]{12}$", row[1]);
        Assert.Equal("750 KB", row[2]);
        Assert.Equal("Less than a minute ago", row[3]);

        var show = await _cli.RunAsync("show", "tiny");
        Assert.Equal(0, show.ExitCode);
        Assert.Equal("""
              Model
                architecture        llama
                parameters          656K
                context length      512
                embedding length    128
                quantization        Q8_0

              Parameters
                stop                "<|end_story|>"
                temperature         0.2

              System
                Tell short stories.

              License
                apache-2.0

            """.ReplaceLineEndings("\n"), show.Out);
        Assert.Equal("apache-2.0\n", (await _cli.RunAsync("show", "tiny", "--license")).Out);

        // On a terminal: one bordered table per key/value section, a bordered panel per text, the same content.
        var tty = (await _cli.RunAsync(["show", "tiny"], terminal: true)).Out;
        var plainTty = System.Text.RegularExpressions.Regex.Replace(tty, "\u001b\\[[0-9;]*m", "");
        Assert.Equal(4, plainTty.Split('\n').Count(l => l.StartsWith('╭'))); // Model, Parameters tables; System, License panels
        Assert.Matches(@"│ context length\s+│ 512\s+│", plainTty);
        Assert.Matches(@"│ stop\s+│ ""<\|end_story\|>""\s+│", plainTty);
        Assert.Matches(@"╭─System─+╮\n│ Tell short stories\.\s+│", plainTty);

        var cp = await _cli.RunAsync("cp", "tiny", "tiny2:v1");
        Assert.Equal((0, "copied 'tiny' to 'tiny2:v1'\n"), (cp.ExitCode, cp.Out));
        Assert.Equal(3, (await _cli.RunAsync("ls")).Out.TrimEnd('\n').Split('\n').Length);

        var rm = await _cli.RunAsync("rm", "tiny", "tiny2:v1");
        Assert.Equal((0, "deleted 'tiny'\ndeleted 'tiny2:v1'\n"), (rm.ExitCode, rm.Out));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_cli.Home, "blobs")));
    }

    [Theory]
    [InlineData(new[] { "rm", "ghost" }, "Error: model 'ghost' not found\n")]
    [InlineData(new[] { "show", "ghost" }, "Error: model 'ghost' not found; `hearth list` shows the models in the store\n")]
    [InlineData(new[] { "cp", "ghost", "x" }, "Error: model 'ghost' not found; `hearth list` shows the models in the store\n")]
    [InlineData(new[] { "pull", "a/b/c" }, "Error: cannot pull 'a/b/c:latest': an Ollama registry name is [NAMESPACE/]MODEL[:TAG] (or use hf.co/OWNER/REPO[:QUANT] or an http(s) URL of a .gguf file)\n")]
    [InlineData(new[] { "show", "bad name" }, "Error: model 'bad name' not found; `hearth list` shows the models in the store\n")]
    [InlineData(new[] { "cp", "tinystories", "../x" }, "Error: invalid model name '../x': part '..' must start with a letter or digit and contain only letters, digits, '_', '-' and '.'\n")]
    public async Task ErrorsAreOneLineAndNonZero(string[] args, string error)
    {
        var r = await _cli.RunAsync(args);
        Assert.Equal((1, "", error), (r.ExitCode, r.Out, r.Err));
    }

    [Fact]
    public async Task BadModelfileReportsItsLine()
    {
        var mf = _cli.WriteModelfile("FROM x.gguf\nPARAMETER temperature warm\n");
        var r = await _cli.RunAsync("create", "m", "-f", mf);
        Assert.Equal((1, "Error: Modelfile line 2: parameter temperature needs a number, got 'warm'\n"), (r.ExitCode, r.Err));
        var missing = await _cli.RunAsync("create", "m", "-f", Path.Combine(_cli.Home, "nope"));
        Assert.Equal((1, $"Error: Modelfile not found: {Path.Combine(_cli.Home, "nope")}\n"), (missing.ExitCode, missing.Err));
    }

    [Fact]
    public async Task EmbeddedModelIsRegisteredOnFirstUse()
    {
        var r = await _cli.RunAsync("show", "tinystories");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("    parameters          656K\n", r.Out);
        Assert.Contains("tinystories:latest", (await _cli.RunAsync("list")).Out);
    }

    [Fact]
    public async Task PullShowsPlainProgressWhenNotATerminal()
    {
        await using var hub = await Hearth.Store.Tests.Store.FakeHub.StartAsync();
        hub.AddFile("owner/repo", "m-Q8_0.gguf", File.ReadAllBytes(CliHarness.Gguf), "c773a9eb8883751131f30e0c1965c56b1102a4972fdac6a6f71fe156ba6d8cb7");
        _cli.Environment["HF_ENDPOINT"] = hub.Endpoint;
        _cli.Environment["HF_TOKEN"] = "tok";
        var r = await _cli.RunAsync("pull", "hf.co/owner/repo:Q8_0");
        Assert.Equal((0, ""), (r.ExitCode, r.Err));
        var lines = r.Out.TrimEnd('\n').Split('\n');
        Assert.Equal("pulling manifest", lines[0]);
        Assert.Equal("pulling c773a9eb8883 0% (0 B/750 KB)", lines[1]);
        Assert.Contains("pulling c773a9eb8883 100% (750 KB/750 KB)", lines);
        Assert.Equal(["writing manifest", "success", "pulled hf.co/owner/repo:Q8_0 (750 KB, Q8_0)"], lines[^3..]);
        Assert.All(hub.Requests, q => Assert.Equal("Bearer tok", q.Authorization));

        var missing = await _cli.RunAsync("pull", "hf.co/owner/none");
        Assert.Equal((1, "Error: model repository hf.co/owner/none not found (HTTP 404)\n"), (missing.ExitCode, missing.Err));
    }
}

public sealed class SyntheticCreateTests : IDisposable
{
    private readonly CliHarness _cli = new();
    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task CreatesASyntheticModelOfThePresetShape()
    {
        var r = await _cli.RunAsync("create", "syn", "--synthetic", "tiny-test-qwen2", "--quant", "f16");
        Assert.Equal((0, ""), (r.ExitCode, r.Err));
        Assert.Equal("writing synthetic tiny-test-qwen2 (F16)\nverifying sha256 digest\nwriting manifest\ncreated syn:latest\n", r.Out);
        var show = await _cli.RunAsync("show", "syn");
        Assert.Contains("    architecture        qwen2\n", show.Out);
        Assert.Contains("    context length      2048\n", show.Out);
        Assert.Contains("    embedding length    256\n", show.Out);
        Assert.Contains("    quantization        F16\n", show.Out);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_cli.Home, "partial")));
    }

    [Theory]
    [InlineData(new[] { "create", "x", "--synthetic", "gpt-9" }, "Error: unknown preset 'gpt-9' (known: llama-3.2-1b, llama-3.1-8b, qwen2.5-0.5b, gemma-3-1b, phi-4-mini, qwen3-30b-a3b, qwen3-30b-a3b-4l, gpt-oss-20b, gpt-oss-20b-4l, tiny-test, tiny-formats, tiny-test-qwen2, tiny-llama, tiny-qwen3, tiny-qwen3-yarn, tiny-gemma3, tiny-gemma2, tiny-phi3, tiny-phi3-long, tiny-qwen3moe, tiny-qwen2moe, tiny-mixtral, tiny-gpt-oss, qwen3-embedding-0.6b, tiny-qwen3-embed, tiny-qwen3-reranker, tiny-bert, tiny-bert-rerank, tiny-nomic-bert, tiny-jina-bert-v2, bge-small, nomic-embed-text-v1.5)\n")]
    [InlineData(new[] { "create", "x", "--synthetic", "tiny-test", "--quant", "Q6_K" }, "Error: --quant Q6_K is not supported for synthetic models (use F32, F16, BF16, Q8_0, Q4_K, Q4_0, Q5_0, Q4_1, Q5_1, Q2_K, Q3_K, Q5_K, IQ4_NL, IQ4_XS, MXFP4, Q4_K_S, Q4_K_M)\n")]
    [InlineData(new[] { "create", "x", "--synthetic", "tiny-test", "-f", "Modelfile" }, "Error: use either --file or --synthetic, not both\n")]
    public async Task BadSyntheticOptionsAreOneLineErrors(string[] args, string error)
    {
        var r = await _cli.RunAsync(args);
        Assert.Equal((1, error), (r.ExitCode, r.Err));
    }
}
