using System.Text.Json.Nodes;

namespace Hearth.Cli.Tests.Commands;

public sealed class ServerCommandTests : IAsyncLifetime
{
    private readonly CliHarness _cli = new();
    private FakeServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _cli.Dispose();
    }

    private (string Path, JsonObject Body)[] Chats() => _server.Requests.Where(r => r.Path == "/api/chat").ToArray();

    [Fact]
    public async Task RunWithPipedStdinPrintsTheStreamedAnswer()
    {
        _cli.Environment["HEARTH_HOST"] = _server.Url;
        var r = await _cli.RunAsync(["run", "tinystories"], stdin: "Tell me a story.\n");
        Assert.Equal((0, "Once upon a time\n", ""), (r.ExitCode, r.Out, r.Err));
        var body = Assert.Single(Chats()).Body;
        Assert.Equal("tinystories:latest", body["model"]!.ToString());
        Assert.True(body["stream"]!.GetValue<bool>());
        Assert.Equal("""[{"role":"user","content":"Tell me a story.\n"}]""", body["messages"]!.ToJsonString());
    }

    [Fact]
    public async Task RunWithPromptArgumentsAndHostOption()
    {
        var r = await _cli.RunAsync(["run", "tinystories", "Hello", "there", "--host", _server.Url]);
        Assert.Equal((0, "Once upon a time\n"), (r.ExitCode, r.Out));
        Assert.Equal("Hello there", Assert.Single(Chats()).Body["messages"]![0]!["content"]!.ToString());
    }

    [Fact]
    public async Task InteractiveChatKeepsHistoryAndHandlesCommands()
    {
        _cli.Environment["HEARTH_HOST"] = _server.Url;
        const string typed = "hi\n/set parameter temperature 0.5\n/set parameter stop END\nagain\n/clear\n\"\"\"\nline one\nline two\n\"\"\"\n/show info\n/what\n/bye\nnever sent\n";
        var r = await _cli.RunAsync(["run", "tinystories"], stdin: typed, interactive: true);
        Assert.Equal((0, ""), (r.ExitCode, r.Err));
        Assert.StartsWith(">>> Once upon a time\n\n>>> Set parameter 'temperature' to '0.5'\n>>> Set parameter 'stop' to 'END'\n>>> Once upon a time\n\n>>> Cleared session context\n>>> ... ... ... Once upon a time\n\n>>>   Model\n    architecture        llama\n", r.Out);
        Assert.EndsWith(">>> Unknown command '/what'. Type /? for help\n>>> ", r.Out);

        var chats = Chats();
        Assert.Equal(3, chats.Length);
        Assert.Equal("""[{"role":"user","content":"hi"}]""", chats[0].Body["messages"]!.ToJsonString());
        Assert.Equal("{}", chats[0].Body["options"]!.ToJsonString());
        Assert.Equal("""[{"role":"user","content":"hi"},{"role":"assistant","content":"Once upon a time"},{"role":"user","content":"again"}]""", chats[1].Body["messages"]!.ToJsonString());
        Assert.Equal("""{"temperature":0.5,"stop":["END"]}""", chats[1].Body["options"]!.ToJsonString());
        Assert.Equal("""[{"role":"user","content":"line one\nline two"}]""", chats[2].Body["messages"]!.ToJsonString());
    }

    [Fact]
    public async Task RunWithoutAServerIsAClearError()
    {
        var port = CliHarness.FreePort();
        var r = await _cli.RunAsync(["run", "tinystories", "--host", $"127.0.0.1:{port}"], stdin: "x");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith($"Error: no Hearth server answers at http://127.0.0.1:{port}/; start one with `hearth serve`", r.Err);
        Assert.Equal("", r.Out);
    }

    [Fact]
    public async Task PsShowsLoadedModels()
    {
        var expires = DateTimeOffset.UtcNow.AddMinutes(4).AddSeconds(30).ToString("O");
        _server.PsJson = $$"""{"models":[{"name":"tinystories:latest","model":"tinystories:latest","size":749728,"digest":"c773a9eb8883751131f30e0c","expires_at":"{{expires}}","size_vram":0},{"name":"big:latest","size":2000000000,"digest":"abc","expires_at":"9999-12-31T23:59:59Z","size_vram":0}]}""";
        var r = await _cli.RunAsync("ps", "--host", _server.Url);
        Assert.Equal((0, ""), (r.ExitCode, r.Err));
        Assert.Equal("""
            NAME                  ID              SIZE      PROCESSOR    UNTIL
            tinystories:latest    c773a9eb8883    750 KB    100% CPU     4 minutes from now
            big:latest            abc             2.0 GB    100% CPU     Forever

            """.ReplaceLineEndings("\n"), r.Out);
    }

    [Fact]
    public async Task PsWithoutAServerIsAClearError()
    {
        var r = await _cli.RunAsync("ps");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith($"Error: could not connect to a Hearth server at http://{_cli.Environment["HEARTH_HOST"]}/", r.Err);
        Assert.EndsWith("start one with `hearth serve`\n", r.Err);
    }

    [Fact]
    public async Task StopAsksTheServerToUnload()
    {
        _server.PsJson = """{"models":[{"name":"tinystories:latest","model":"tinystories:latest","size":1}]}""";
        var r = await _cli.RunAsync("stop", "tinystories", "--host", _server.Url);
        Assert.Equal((0, "stopped 'tinystories:latest'\n", ""), (r.ExitCode, r.Out, r.Err));
        var (path, body) = Assert.Single(_server.Requests);
        Assert.Equal("/api/generate", path);
        Assert.Equal("""{"model":"tinystories:latest","keep_alive":0}""", body.ToJsonString());

        // A model the server has not loaded is an error, not "stopped" (issue 13, item 7).
        var missing = await _cli.RunAsync("stop", "nope", "--host", _server.Url);
        Assert.Equal((1, ""), (missing.ExitCode, missing.Out));
        Assert.Equal($"Error: model 'nope' is not loaded on the server at {_server.Url}/ (see `hearth ps`)\n", missing.Err);
        Assert.Single(_server.Requests);
    }
}
