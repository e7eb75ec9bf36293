using System.Text.Json.Nodes;
using Hearth.Core.Templates;
using Hearth.Engine.Tests.Structured;
using Hearth.Server.Tests.Fakes;
using Hearth.Tests;
using static Hearth.Server.Tests.Structured.StructuredHttp;

namespace Hearth.Server.Tests.Structured;

/// <summary>Thinking models over real HTTP, with real (DeepSeek-R1 distill) and Qwen3-style templates and scripted
/// answers: the thinking comes back as reasoning_content (OpenAI, whole and streamed) and message.thinking (Ollama,
/// with its think parameter); a response_format applies after the thinking; tool calls parse after it.</summary>
public sealed class ReasoningApiTests
{
    private static readonly string[] DeepSeekAnswer = ["Two", " and two.\n", "</thi", "nk>\n\n", "The answer", " is 4."];
    private static readonly string[] Qwen3Answer = ["<think>", "\nTwo and two.\n", "</think>", "\n\n", "The answer is 4."];

    private static TestHost DeepSeek() => TestHost.WithTemplate(ChatTemplate.Parse(File.ReadAllText(TestPaths.SharedFile("reference", "templates", ThinkingTemplates.DeepSeekLlama)!)));
    private static TestHost Qwen3() => TestHost.WithTemplate(ChatTemplate.Parse(ThinkingTemplates.Qwen3Style));

    private static string Chat(bool stream, string extra = "", int maxTokens = 40) =>
        $$"""{"model":"fake","stream":{{(stream ? "true" : "false")}},"max_tokens":{{maxTokens}},"messages":[{"role":"user","content":"2+2?"}]{{extra}}}""";

    [SharedFact]
    public async Task OpenAiReturnsReasoningContentWholeAndStreamed()
    {
        await using var host = DeepSeek();
        host.Engine.Pieces = DeepSeekAnswer;
        var (status, body, _) = await Http.PostAsync(host.Http, "v1/chat/completions", Chat(false));
        Assert.Equal(200, status);
        var message = body!["choices"]![0]!["message"]!;
        Assert.Equal("The answer is 4.", message["content"]!.GetValue<string>());
        Assert.Equal("Two and two.\n", message["reasoning_content"]!.GetValue<string>());

        var (reasoning, content, finish, _) = await StreamOpenAiAsync(host, Chat(true));
        Assert.Equal("Two and two.\n", reasoning);
        Assert.Equal("The answer is 4.", content);
        Assert.Equal("stop", finish);
    }

    [Fact]
    public async Task AModelThatOpensItsOwnThinkingIsSplitToo()
    {
        await using var host = Qwen3();
        host.Engine.Pieces = Qwen3Answer;
        var (_, body, _) = await Http.PostAsync(host.Http, "v1/chat/completions", Chat(false));
        Assert.Equal("The answer is 4.", body!["choices"]![0]!["message"]!["content"]!.GetValue<string>());
        Assert.Equal("Two and two.\n", body["choices"]![0]!["message"]!["reasoning_content"]!.GetValue<string>());
    }

    [Fact]
    public async Task AModelThatDoesNotThinkHasNoReasoningContent()
    {
        await using var host = TestHost.Start();
        var (_, body, _) = await Http.PostAsync(host.Http, "v1/chat/completions", Chat(false));
        Assert.Null(body!["choices"]![0]!["message"]!["reasoning_content"]);
        // Asking a model that cannot think to think is a 400 (Ollama's think, Anthropic's thinking).
        var (status, error, _) = await Http.PostAsync(host.Http, "api/chat", """{"model":"fake","think":true,"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(400, status);
        Assert.Contains("does not support thinking", error!["error"]!.GetValue<string>());
        (status, error, _) = await Http.PostAsync(host.Http, "v1/messages", """{"model":"fake","max_tokens":8,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(400, status);
        Assert.Contains("does not support thinking", error!.ToJsonString());
    }

    [Fact]
    public async Task OllamaThinkSplitsThinkingAndThinkFalseTurnsItOffInTheTemplate()
    {
        await using var host = Qwen3();
        host.Engine.Pieces = Qwen3Answer;
        const string messages = "\"messages\":[{\"role\":\"user\",\"content\":\"2+2?\"}]";

        var (_, body, _) = await Http.PostAsync(host.Http, "api/chat", $$"""{"model":"fake","stream":false,"think":true,{{messages}}}""");
        Assert.Equal("The answer is 4.", body!["message"]!["content"]!.GetValue<string>());
        Assert.Equal("Two and two.\n", body["message"]!["thinking"]!.GetValue<string>());
        Assert.DoesNotContain("<think>", Prompt(host));

        // Streamed: thinking lines, then content lines.
        var lines = await NdjsonAsync(host, $$"""{"model":"fake","think":true,{{messages}}}""");
        Assert.Equal("Two and two.\n", string.Concat(lines.Select(l => l["message"]!["thinking"]?.GetValue<string>())));
        Assert.Equal("The answer is 4.", string.Concat(lines.Select(l => l["message"]!["content"]!.GetValue<string>())));
        Assert.True(lines[^1]["done"]!.GetValue<bool>());

        // think=false: the template gets enable_thinking=false (an empty think block in the prompt), and thinking the
        // model writes anyway is dropped.
        (_, body, _) = await Http.PostAsync(host.Http, "api/chat", $$"""{"model":"fake","stream":false,"think":false,{{messages}}}""");
        Assert.EndsWith("<|im_start|>assistant\n<think>\n\n</think>\n\n", Prompt(host));
        Assert.Equal("The answer is 4.", body!["message"]!["content"]!.GetValue<string>());
        Assert.Null(body["message"]!["thinking"]);

        // The same through vLLM's chat_template_kwargs on the OpenAI API.
        (_, body, _) = await Http.PostAsync(host.Http, "v1/chat/completions", Chat(false, ",\"chat_template_kwargs\":{\"enable_thinking\":false}"));
        Assert.EndsWith("<think>\n\n</think>\n\n", Prompt(host));
        Assert.Null(body!["choices"]![0]!["message"]!["reasoning_content"]);

        // /api/generate: a top-level `thinking` field.
        (_, body, _) = await Http.PostAsync(host.Http, "api/generate", """{"model":"fake","stream":false,"think":true,"prompt":"2+2?"}""");
        Assert.Equal("The answer is 4.", body!["response"]!.GetValue<string>());
        Assert.Equal("Two and two.\n", body["thinking"]!.GetValue<string>());
    }

    [SharedFact]
    public async Task AResponseFormatAppliesAfterTheThinking()
    {
        await using var host = DeepSeek();
        host.Engine.Pieces = ["Hm.", "</think>\n\n", "{\"a\": 4}"];
        const string format = ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}},\"required\":[\"a\"]}}}";
        var (status, body, _) = await Http.PostAsync(host.Http, "v1/chat/completions", Chat(false, format));
        Assert.Equal(200, status);
        Assert.Equal("{\"a\": 4}", body!["choices"]![0]!["message"]!["content"]!.GetValue<string>());
        // The grammar the engine got admits the thinking first, then only the schema.
        var grammar = host.Engine.LastRequest.Sampling.Grammar!;
        Assert.True(Accepts(grammar, "Hm.</think>\n\n{\"a\": 4}"));
        Assert.False(Accepts(grammar, "{\"a\": 4}"));
        Assert.False(Accepts(grammar, "Hm.</think>\n\nnot json"));
    }

    [Fact]
    public async Task ToolCallsParseAfterTheThinking()
    {
        await using var host = Qwen3();
        host.Engine.Pieces = ["<think>\nI need the weather.\n</think>\n\n", "<tool_call>\n{\"name\": \"get_weather\", ", "\"arguments\": {\"city\": \"Paris\"}}\n</tool_call>"];
        // A short tool: the fake model's context is 128 bytes.
        const string tools = ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}]";
        var (_, body, _) = await Http.PostAsync(host.Http, "v1/chat/completions", Chat(false, tools, 8));
        Assert.True(body!["choices"] is not null, body.ToJsonString());
        var choice = body!["choices"]![0]!;
        Assert.Equal("tool_calls", choice["finish_reason"]!.GetValue<string>());
        Assert.Equal("I need the weather.\n", choice["message"]!["reasoning_content"]!.GetValue<string>());
        Assert.Null(choice["message"]!["content"]);
        Assert.Equal("{\"city\":\"Paris\"}", choice["message"]!["tool_calls"]![0]!["function"]!["arguments"]!.GetValue<string>());

        var (reasoning, content, finish, _) = await StreamOpenAiAsync(host, Chat(true, tools, 8));
        Assert.Equal("I need the weather.\n", reasoning);
        Assert.Equal("", content);
        Assert.Equal("tool_calls", finish);
    }

    private static string Prompt(TestHost host) => new FakeTokenizer().Decode(host.Engine.LastRequest.PromptTokens.ToArray());

    private static async Task<List<JsonNode>> NdjsonAsync(TestHost host, string body)
    {
        var r = await host.Http.PostAsync("api/chat", Http.Json(body));
        return (await r.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
    }
}
