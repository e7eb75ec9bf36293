using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Hearth.Cli.Tests.WebUi;

/// <summary>POST /api/create (the models page's "Create from a Modelfile") against a real store.</summary>
public sealed class CreateEndpointTests
{
    [Fact]
    public async Task Creates_a_model_from_modelfile_text_and_refuses_a_bad_one_with_400()
    {
        await using var server = await WebUiServer.StartAsync();
        using var ok = await server.Http.PostAsJsonAsync("api/create", new
        {
            model = "storyteller",
            modelfile = "FROM tinystories\nPARAMETER temperature 0.3\nSYSTEM \"\"\"You tell stories.\"\"\"\n",
        });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("storyteller:latest", JsonNode.Parse(await ok.Content.ReadAsStringAsync())!["model"]!.GetValue<string>());
        var entry = server.Store.Find("storyteller")!;
        Assert.Equal("You tell stories.", entry.System);
        Assert.Equal("0.3", entry.Parameters["temperature"]);

        foreach (var (modelfile, expected) in new[]
                 {
                     ("PARAMETER temperature 0.3\n", "FROM"),
                     ("FROM no-such-model\n", "no-such-model"),
                     ("FROM tinystories\nBOGUS x\n", "line 2"),
                 })
        {
            using var bad = await server.Http.PostAsJsonAsync("api/create", new { model = "broken", modelfile });
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains(expected, JsonNode.Parse(await bad.Content.ReadAsStringAsync())!["error"]!.GetValue<string>());
        }
        Assert.Null(server.Store.Find("broken"));
    }
}
