using System.Net;
using System.Text.Json.Nodes;

namespace Hearth.Server.Tests;

/// <summary>What OpenAI clients use beyond the basics: completions' echo and prompt arrays, logit_bias checked
/// against the vocabulary (259 tokens in the fake model), and HEAD / OPTIONS on every route.</summary>
public sealed class CompletionsExtrasTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestHost Host => fixture.Host;

    [Fact]
    public async Task Echo_PrefixesEachChoiceWithItsPrompt_StreamingOrNot()
    {
        var (status, body, _) = await Http.PostAsync(Host.Http, "v1/completions", "{\"model\":\"plain\",\"prompt\":\"Hi\",\"echo\":true,\"max_tokens\":2}");
        Assert.Equal(200, status);
        Assert.Equal("HiOnce upon", body!["choices"]![0]!["text"]!.GetValue<string>());

        var text = await (await Host.Http.PostAsync("v1/completions", Http.Json("{\"model\":\"plain\",\"prompt\":[1,75,108],\"echo\":true,\"max_tokens\":1,\"stream\":true}"))).Content.ReadAsStringAsync();
        var chunks = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[..^1].Select(e => JsonNode.Parse(e["data: ".Length..])!["choices"]![0]!).ToList();
        Assert.Equal(["Hi", "Once"], chunks.Select(c => c["text"]!.GetValue<string>())); // ids 75,108 are "H","i"; BOS is not text
        Assert.Equal("length", chunks[1]["finish_reason"]!.GetValue<string>());

        (status, body, _) = await Http.PostAsync(Host.Http, "v1/completions", "{\"model\":\"plain\",\"prompt\":\"Hi\",\"echo\":true,\"logprobs\":1}");
        Assert.Equal(400, status);
        Http.AssertOpenAiError(body, "echo");
    }

    [Fact]
    public async Task PromptArray_RunsEachPrompt_ChoicesNumberedPromptTimesN()
    {
        var before = Host.PlainEngine.Requests.Count;
        var (status, body, _) = await Http.PostAsync(Host.Http, "v1/completions", "{\"model\":\"plain\",\"prompt\":[\"Hi\",[1,70,71,72]],\"n\":2,\"max_tokens\":1}");
        Assert.Equal(200, status);
        var choices = body!["choices"]!.AsArray();
        Assert.Equal([0, 1, 2, 3], choices.Select(c => c!["index"]!.GetValue<int>()));
        Assert.All(choices, c => Assert.Equal("Once", c!["text"]!.GetValue<string>()));
        var prompts = Host.PlainEngine.Requests.Skip(before).Select(r => r.PromptTokens.ToArray()).OrderBy(p => p.Length).ToList();
        Assert.Equal([[1, 'H' + 3, 'i' + 3], [1, 70, 71, 72]], prompts);
        Assert.Equal("{\"prompt_tokens\":7,\"completion_tokens\":4,\"total_tokens\":11,\"prompt_tokens_details\":{\"cached_tokens\":0}}", body["usage"]!.ToJsonString());

        var text = await (await Host.Http.PostAsync("v1/completions", Http.Json("{\"model\":\"plain\",\"prompt\":[\"a\",\"b\"],\"max_tokens\":2,\"stream\":true}"))).Content.ReadAsStringAsync();
        var indexes = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[..^1].Select(e => JsonNode.Parse(e["data: ".Length..])!["choices"]![0]!["index"]!.GetValue<int>()).ToList();
        Assert.Equal([0, 0, 1, 1], indexes.Order());
    }

    [Theory]
    [InlineData("{\"model\":\"plain\",\"prompt\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"q\"]}", "'prompt' may hold at most 16 prompts", "prompt")]
    [InlineData("{\"model\":\"plain\",\"prompt\":[\"a\",[1,99999]]}", "'prompt[1]' is not a token id of this model (0..258)", "prompt")]
    [InlineData("{\"model\":\"plain\",\"prompt\":[\"a\",7]}", "'prompt' must be a string, an array of token ids, or an array of those", "prompt")]
    [InlineData("{\"model\":\"plain\",\"prompt\":\"a\",\"logit_bias\":{\"259\":5}}", "'logit_bias.259' is not a token id of this model (0..258)", "logit_bias")]
    [InlineData("{\"model\":\"plain\",\"prompt\":\"a\",\"logit_bias\":{\"x\":5}}", "'logit_bias' keys must be token ids, not 'x'", "logit_bias")]
    [InlineData("{\"model\":\"plain\",\"prompt\":\"a\",\"logit_bias\":{\"5\":101}}", "'logit_bias.5' must be between -100 and 100", "logit_bias.5")]
    [InlineData("{\"model\":\"plain\",\"prompt\":\"a\",\"logit_bias\":[1]}", "'logit_bias' must be an object", "logit_bias")]
    [InlineData("{\"model\":\"plain\",\"prompt\":\"a\",\"logit_bias\":{\"5\":null}}", "'logit_bias.5' must be a number in [-100, 100]", "logit_bias")] // found by the fuzz test: was a 500
    public async Task Invalid_400(string json, string message, string param)
    {
        var before = Host.PlainEngine.Requests.Count;
        var (status, body, _) = await Http.PostAsync(Host.Http, "v1/completions", json);
        Assert.Equal(400, status);
        Assert.Equal(message, Http.AssertOpenAiError(body, param)["message"]!.GetValue<string>());
        Assert.Equal(before, Host.PlainEngine.Requests.Count);
    }

    [Fact]
    public async Task LogitBias_ReachesTheEngine_OnChatAndCompletions()
    {
        await Http.PostAsync(Host.Http, "v1/completions", "{\"model\":\"plain\",\"prompt\":\"a\",\"max_tokens\":1,\"logit_bias\":{\"258\":-100,\"7\":2.5}}");
        Assert.Equal([new(258, -100f), new(7, 2.5f)], Host.PlainEngine.LastRequest.Sampling.LogitBias);
        await Http.PostAsync(Host.Http, "v1/chat/completions", "{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":1,\"logit_bias\":{\"3\":1}}");
        Assert.Equal([new Hearth.Engine.TokenBias(3, 1f)], Host.Engine.LastRequest.Sampling.LogitBias);
    }

    [Fact]
    public async Task Head_AnswersGetRoutesWithoutABody_Options_ListsTheMethods()
    {
        using var head = await Host.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "v1/models"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal("application/json; charset=utf-8", head.Content.Headers.ContentType!.ToString());
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());

        using var options = await Host.Http.SendAsync(new HttpRequestMessage(HttpMethod.Options, "v1/responses/resp_x"));
        Assert.Equal(HttpStatusCode.NoContent, options.StatusCode);
        Assert.Equal("GET, HEAD, DELETE, OPTIONS", string.Join(", ", options.Content.Headers.Allow));
        using var post = await Host.Http.SendAsync(new HttpRequestMessage(HttpMethod.Options, "v1/chat/completions"));
        Assert.Equal("POST, OPTIONS", string.Join(", ", post.Content.Headers.Allow));

        using var wrong = await Host.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "v1/chat/completions"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrong.StatusCode);
    }
}
