using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Cli.Tests.Security;
using Hearth.Core.Gguf;
using Hearth.Store;
using Hearth.Store.Synthetic;

namespace Hearth.Cli.Tests.Lora;

/// <summary>A store model made with Modelfile ADAPTER, served as `hearth serve` builds it: every request of that
/// name runs with the adapter (the same output as the adapter loaded at run time on the base model), the base name
/// does not, and /api/show prints the ADAPTER line.</summary>
public sealed class ModelfileAdapterServeTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("hearth-lora-store-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    [Fact]
    public async Task AModelWithAnAdapterRunsItOnEveryRequest()
    {
        await using var s = await StoreServer.StartAsync(_home);
        var embedded = s.Store.Find(EmbeddedModel.Name.ToString())!;
        string lora = Path.Combine(_home, "story-lora.gguf");
        SyntheticLora.Write(lora, embedded.GgufPath, new SyntheticLora.Options(8, 16, [.. SyntheticLora.Targets.Keys], GgmlType.F32, 3, BStd: 0.5f));
        var created = ModelCreator.Create(s.Store, "story-lora", ModelfileParser.Parse($"FROM {embedded.Name}\nADAPTER {lora}"), _home);
        Assert.Single(created.AdapterPaths);

        async Task<string> Complete(string model)
        {
            using var resp = await s.Http.PostAsync("v1/completions", new StringContent(
                JsonSerializer.Serialize(new { model, prompt = "Once upon a time", max_tokens = 16, temperature = 0 }), System.Text.Encoding.UTF8, "application/json"));
            var body = JsonNode.Parse(await resp.Content.ReadAsStringAsync())!;
            Assert.True(resp.IsSuccessStatusCode, body.ToJsonString());
            return body["choices"]![0]!["text"]!.GetValue<string>();
        }
        string bare = await Complete(embedded.Name);
        string withAdapter = await Complete("story-lora");
        Assert.NotEqual(bare, withAdapter);
        using (var load = await s.Http.PostAsync("v1/load_lora_adapter", new StringContent(
                   JsonSerializer.Serialize(new { lora_name = "raw", lora_path = lora, base_model_name = embedded.Name }), System.Text.Encoding.UTF8, "application/json")))
            Assert.True(load.IsSuccessStatusCode, await load.Content.ReadAsStringAsync());
        Assert.Equal(withAdapter, await Complete("raw"));
        Assert.Equal(bare, await Complete(embedded.Name));

        using var show = await s.Http.PostAsync("api/show", new StringContent("""{"model":"story-lora"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Contains("ADAPTER " + created.AdapterPaths[0], JsonNode.Parse(await show.Content.ReadAsStringAsync())!["modelfile"]!.GetValue<string>());
    }
}
