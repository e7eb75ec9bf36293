using System.Text.Json.Nodes;

namespace Hearth.Server.Tests;

/// <summary>How OpenAI requests become engine requests, and the response shapes of n, stop and logprobs.</summary>
public sealed class OpenAiMappingTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestHost Host => fixture.Host;

    [Fact]
    public async Task AllSamplingFields_ReachTheEngine()
    {
        var (status, _, _) = await Http.PostAsync(Host.Http, "v1/completions",
            "{\"model\":\"plain\",\"prompt\":\"Hi\",\"max_tokens\":9,\"temperature\":0,\"top_p\":0.5,\"seed\":-1,\"frequency_penalty\":1,\"presence_penalty\":-1," +
            "\"ignore_eos\":true,\"min_tokens\":2,\"top_k\":-1,\"min_p\":0.1,\"repetition_penalty\":1.2,\"stop\":\"zz\",\"user\":\"u1\",\"logprobs\":2}");
        Assert.Equal(200, status);
        var s = Host.PlainEngine.LastRequest.Sampling;
        Assert.Equal((9, 0f, 0.5f, ulong.MaxValue, 1f, -1f, true, 2, 0, 0.1f, 1.2f, 2),
            (s.MaxTokens, s.Temperature, s.TopP, s.Seed!.Value, s.FrequencyPenalty, s.PresencePenalty, s.IgnoreEos, s.MinTokens, s.TopK, s.MinP, s.RepetitionPenalty, s.Logprobs!.Value));
        Assert.Equal(["zz"], s.Stop);
    }

    [Fact]
    public async Task MaxCompletionTokens_WinsOverMaxTokens()
    {
        await Http.PostAsync(Host.Http, "v1/chat/completions", "{\"model\":\"plain\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":9,\"max_completion_tokens\":4}");
        Assert.Equal(4, Host.PlainEngine.LastRequest.Sampling.MaxTokens);
    }

    [Fact]
    public async Task NoTemplate_Fallback_JoinsContentsWithNewlines()
    {
        await Http.PostAsync(Host.Http, "v1/chat/completions",
            "{\"model\":\"plain\",\"messages\":[{\"role\":\"system\",\"content\":\"A\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"B\"},{\"type\":\"text\",\"text\":\"C\"}]}]}");
        Assert.Equal([1, 'A' + 3, '\n' + 3, 'B' + 3, 'C' + 3], Host.PlainEngine.LastRequest.PromptTokens);
    }

    [Fact]
    public async Task Template_GetsMessagesBosEosAndTools_SingleBos()
    {
        await Http.PostAsync(Host.Http, "v1/chat/completions",
            "{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"Q\",\"name\":\"bob\"}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],\"max_tokens\":1}");
        var ctx = Host.Template.LastContext!;
        Assert.Equal("<s>", ctx["bos_token"]!.GetValue<string>());
        Assert.Equal("</s>", ctx["eos_token"]!.GetValue<string>());
        Assert.True(ctx["add_generation_prompt"]!.GetValue<bool>());
        Assert.Equal("{\"role\":\"user\",\"content\":\"Q\",\"name\":\"bob\"}", ctx["messages"]![0]!.ToJsonString());
        Assert.Equal("f", ctx["tools"]![0]!["function"]!["name"]!.GetValue<string>());
        var prompt = Host.Engine.Requests.Last(r => r.Sampling.MaxTokens == 1).PromptTokens;
        Assert.Equal(1, prompt[0]);
        Assert.Equal('<' + 3, prompt[1]); // BOS written by the template only: no double BOS
    }

    [Fact]
    public async Task N2_StopAndChatLogprobs()
    {
        var (_, body, _) = await Http.PostAsync(Host.Http, "v1/chat/completions",
            "{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"n\":2,\"stop\":[\" time\"],\"logprobs\":true,\"top_logprobs\":1}");
        var choices = body!["choices"]!.AsArray();
        Assert.Equal(2, choices.Count);
        foreach (var (c, i) in choices.Select((c, i) => (c!, i)))
        {
            Assert.Equal(i, c["index"]!.GetValue<int>());
            Assert.Equal("Once upon a", c["message"]!["content"]!.GetValue<string>());
            Assert.Equal("stop", c["finish_reason"]!.GetValue<string>());
            var content = c["logprobs"]!["content"]!.AsArray();
            Assert.Equal(4, content.Count); // one per token, the stop-cut one included
            Assert.Equal("{\"token\":\"a\",\"logprob\":-0.5,\"bytes\":[97],\"top_logprobs\":[{\"token\":\"a\",\"logprob\":-0.5,\"bytes\":[97]}]}", content[0]!.ToJsonString());
        }
        Assert.Equal(8, body["usage"]!["completion_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task CompletionLogprobs_Shape()
    {
        var (_, body, _) = await Http.PostAsync(Host.Http, "v1/completions", "{\"model\":\"plain\",\"prompt\":\"Hi\",\"max_tokens\":2,\"logprobs\":1}");
        Assert.Equal("{\"tokens\":[\"a\",\"b\"],\"token_logprobs\":[-0.5,-0.5],\"top_logprobs\":[{\"a\":-0.5},{\"b\":-0.5}],\"text_offset\":[0,1]}",
            body!["choices"]![0]!["logprobs"]!.ToJsonString());
    }

    [Fact]
    public async Task TokenIdPrompt_Accepted_And_Validated()
    {
        var (status, _, _) = await Http.PostAsync(Host.Http, "v1/completions", "{\"model\":\"plain\",\"prompt\":[1,50,60],\"max_tokens\":1}");
        Assert.Equal(200, status);
        Assert.Equal([1, 50, 60], Host.PlainEngine.LastRequest.PromptTokens);
        var (s2, b2, _) = await Http.PostAsync(Host.Http, "v1/completions", "{\"model\":\"plain\",\"prompt\":[1,99999]}");
        Assert.Equal(400, s2);
        Http.AssertOpenAiError(b2, "prompt");
        // Several prompts are accepted since issue 15 (see CompletionsExtrasTests); an empty one is not.
        var (s3, _, _) = await Http.PostAsync(Host.Http, "v1/completions", "{\"model\":\"plain\",\"prompt\":[\"a\",[]]}");
        Assert.Equal(400, s3);
    }
}
