using System.Text.Json.Nodes;
using Hearth.Engine;
using Hearth.Engine.Models;
using Hearth.Engine.Store;
using Hearth.Server.Tests.Fakes;

namespace Hearth.Server.Tests;

/// <summary>POST /api/create: from a store model plus fields, or Modelfile text; streamed or not; every error a 400
/// in Ollama's shape; and, on a real store, FROM never reads a file the client names.</summary>
public sealed class OllamaCreateTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestHost Host => fixture.Host;

    [Fact]
    public async Task FromAndFields_CreateAModel_ShowReadsItBack()
    {
        var (status, body, _) = await Http.PostAsync(Host.Http, "api/create",
            "{\"model\":\"mario\",\"from\":\"fake\",\"system\":\"You are Mario\",\"template\":\"{{ .Prompt }}\",\"parameters\":{\"temperature\":0.2,\"stop\":[\"a\",\"b\"]},\"stream\":false}");
        Assert.Equal((200, "{\"status\":\"success\"}"), (status, body!.ToJsonString()));
        var e = Host.Catalog.Find("mario")!;
        Assert.Equal(("mario:latest", "You are Mario", "{{ .Prompt }}", "0.2", "a\nb"), (e.Name, e.System, e.Template, e.Parameters["temperature"], e.Parameters["stop"]));
        var (_, show, _) = await Http.PostAsync(Host.Http, "api/show", "{\"model\":\"mario\"}");
        Assert.Equal("You are Mario", show!["system"]!.GetValue<string>());
    }

    [Fact]
    public async Task ModelfileText_Streamed_AsStatusLines()
    {
        var resp = await Host.Http.PostAsync("api/create", Http.Json("{\"model\":\"luigi\",\"modelfile\":\"FROM fake\\nSYSTEM hi\\nPARAMETER top_k 5\",\"parameters\":{\"top_k\":7}}"));
        Assert.Equal("application/x-ndjson", resp.Content.Headers.ContentType!.ToString());
        Assert.Equal("{\"status\":\"writing manifest\"}\n{\"status\":\"success\"}\n", await resp.Content.ReadAsStringAsync());
        var e = Host.Catalog.Find("luigi")!;
        Assert.Equal(("hi", "7"), (e.System, e.Parameters["top_k"])); // explicit fields win over the Modelfile's
    }

    [Theory]
    [InlineData("{\"from\":\"fake\"}", "'model' is required")]
    [InlineData("{\"model\":\"x\"}", "'from' (or a modelfile with FROM) is required")]
    [InlineData("{\"model\":\"x\",\"from\":\"nope\"}", "Modelfile line 0: FROM nope: no such model in the store")]
    [InlineData("{\"model\":\"x\",\"from\":\"fake\",\"quantize\":\"q4_K_M\"}", "'quantize' is not supported: quantize with llama.cpp and create from the result")]
    [InlineData("{\"model\":\"x\",\"from\":\"fake\",\"parameters\":{\"temperature\":{}}}", "'parameters.temperature' must be a number, a string, a boolean or an array of them")]
    [InlineData("{\"model\":\"x\",\"modelfile\":\"SYSTEM no from\"}", "Modelfile")]
    public async Task BadRequests_400_OllamaShape(string json, string message)
    {
        var (status, body, _) = await Http.PostAsync(Host.Http, "api/create", json);
        Assert.Equal(400, status);
        Assert.StartsWith(message, body!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task RealStore_FromAModelWorks_FromAFileIsRefused()
    {
        var root = Path.Combine(Path.GetTempPath(), "hearth-create-" + Guid.NewGuid().ToString("N"));
        var file = Path.Combine(root, "outside.gguf");
        try
        {
            var store = new ModelStore(root);
            var embedded = EmbeddedModel.EnsureRegistered(store);
            File.Copy(embedded.GgufPath, file);
            var model = new LoadedModel("fake:latest", new FakeTokenizer(), null, new FakeEngine(), new ModelShape("llama", 259, 128, 2, 1, 8, 16));
            await using var host = new StaticModelHost([model]);
            var app = HearthServer.Build(new ServerOptions { Port = 0, LogRequests = false }, host, store, _ => { });
            await app.StartAsync();
            try
            {
                using var http = new HttpClient { BaseAddress = new Uri(HearthServer.BoundAddresses(app).Single() + "/") };
                var (status, body, _) = await Http.PostAsync(http, "api/create", $"{{\"model\":\"story\",\"from\":\"{embedded.Name}\",\"system\":\"Tell stories\",\"stream\":false}}");
                Assert.Equal(200, status);
                Assert.Equal(("Tell stories", embedded.GgufPath), (store.Find("story")!.System, store.Find("story")!.GgufPath));

                var before = Directory.GetFiles(store.BlobsDir).Length;
                (status, body, _) = await Http.PostAsync(http, "api/create", $"{{\"model\":\"stolen\",\"from\":{System.Text.Json.JsonSerializer.Serialize(file)},\"stream\":false}}");
                Assert.Equal(400, status);
                Assert.Contains("no such model in the store", body!["error"]!.GetValue<string>());
                Assert.Null(store.Find("stolen"));
                Assert.Equal(before, Directory.GetFiles(store.BlobsDir).Length);
            }
            finally
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
