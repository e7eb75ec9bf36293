using Hearth.Core.Templates;
using Hearth.Server.Tests.Fakes;
using static Hearth.Server.Tests.Structured.StructuredHttp;

namespace Hearth.Server.Tests.Structured;

/// <summary>gpt-oss's harmony answers over real HTTP with scripted output and a harmony-shaped chat template: the
/// analysis channel comes back as reasoning_content (OpenAI, whole and streamed) and message.thinking (Ollama), the final
/// channel as content, and a message to functions.NAME as a tool call (finish "tool_calls"). An output constraint reaches
/// the engine as a grammar on the final channel's body, a forced tool choice as the grammar of one call.</summary>
public sealed class HarmonyApiTests
{
    // The shape of gpt-oss's template, small enough for the fake model's 128-byte context.
    private const string Template =
        "{%- for m in messages -%}{%- if m.role == 'assistant' -%}<|start|>assistant<|channel|>final<|message|>{{ m.content }}<|end|>"
        + "{%- else -%}<|start|>{{ m.role }}<|message|>{{ m.content }}<|end|>{%- endif -%}{%- endfor -%}"
        + "{%- if add_generation_prompt -%}<|start|>assistant{%- endif -%}";

    private static readonly string[] Answer =
        ["<|channel|>analysis<|message|>", "Two and", " two.", "<|end|>", "<|start|>assistant<|channel|>final<|message|>", "The answer", " is 4."];

    private static readonly string[] Call =
        ["<|channel|>analysis<|message|>Need weather.<|end|>", "<|start|>assistant to=functions.get_weather<|channel|>commentary json<|message|>", "{\"city\":", "\"Paris\"}"];

    private const string Tools = ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}]";

    private static TestHost Harmony(string[] pieces)
    {
        var host = TestHost.WithTemplate(ChatTemplate.Parse(Template));
        host.Engine.Pieces = pieces;
        return host;
    }

    private static string Chat(bool stream, string extra = "") =>
        $$"""{"model":"fake","stream":{{(stream ? "true" : "false")}},"max_tokens":40,"messages":[{"role":"user","content":"2+2?"}]{{extra}}}""";

    [Fact]
    public async Task AnalysisIsReasoningContentAndFinalIsContent()
    {
        await using var host = Harmony(Answer);
        var (status, body, _) = await Http.PostAsync(host.Http, "v1/chat/completions", Chat(false));
        Assert.Equal(200, status);
        var choice = body!["choices"]![0]!;
        Assert.Equal("The answer is 4.", choice["message"]!["content"]!.GetValue<string>());
        Assert.Equal("Two and two.", choice["message"]!["reasoning_content"]!.GetValue<string>());
        Assert.Equal("stop", choice["finish_reason"]!.GetValue<string>());

        var (reasoning, content, finish, _) = await StreamOpenAiAsync(host, Chat(true));
        Assert.Equal("Two and two.", reasoning);
        Assert.Equal("The answer is 4.", content);
        Assert.Equal("stop", finish);

        // Ollama: think is accepted (the model thinks on its analysis channel) and the thinking is message.thinking.
        (status, body, _) = await Http.PostAsync(host.Http, "api/chat", """{"model":"fake","stream":false,"think":true,"messages":[{"role":"user","content":"2+2?"}]}""");
        Assert.Equal(200, status);
        Assert.Equal("The answer is 4.", body!["message"]!["content"]!.GetValue<string>());
        Assert.Equal("Two and two.", body["message"]!["thinking"]!.GetValue<string>());
    }

    [Fact]
    public async Task AMessageToAFunctionIsAToolCall()
    {
        await using var host = Harmony(Call);
        var (_, body, _) = await Http.PostAsync(host.Http, "v1/chat/completions", Chat(false, Tools));
        var choice = body!["choices"]![0]!;
        Assert.Equal("tool_calls", choice["finish_reason"]!.GetValue<string>());
        Assert.Equal("Need weather.", choice["message"]!["reasoning_content"]!.GetValue<string>());
        Assert.Null(choice["message"]!["content"]);
        var call = choice["message"]!["tool_calls"]![0]!;
        Assert.Equal("get_weather", call["function"]!["name"]!.GetValue<string>());
        Assert.Equal("{\"city\":\"Paris\"}", call["function"]!["arguments"]!.GetValue<string>());

        var (reasoning, content, finish, arguments) = await StreamOpenAiAsync(host, Chat(true, Tools));
        Assert.Equal("Need weather.", reasoning);
        Assert.Equal("", content);
        Assert.Equal("tool_calls", finish);
        Assert.Equal("{\"city\":\"Paris\"}", arguments);
    }

    private static readonly string[] Json =
        ["<|channel|>analysis<|message|>", "Think.", "<|end|>", "<|start|>assistant<|channel|>final<|message|>", "{\"a\":", " 4}"];

    private static readonly string[] ForcedCall =
        ["<|channel|>analysis<|message|>Need weather.<|end|><|start|>assistant", "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>", "{\"city\":\"Paris\"}"];

    [Fact]
    public async Task AnOutputConstraintGovernsTheFinalChannel()
    {
        await using var host = Harmony(Json);
        const string schema = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}},\"required\":[\"a\"]}";
        var (status, body, _) = await Http.PostAsync(host.Http, "v1/chat/completions",
            Chat(false, $",\"response_format\":{{\"type\":\"json_schema\",\"json_schema\":{{\"name\":\"n\",\"schema\":{schema}}}}}"));
        Assert.Equal(200, status);
        var message = body!["choices"]![0]!["message"]!;
        Assert.Equal("{\"a\": 4}", message["content"]!.GetValue<string>());
        Assert.Equal("Think.", message["reasoning_content"]!.GetValue<string>());
        // The engine got the harmony grammar: thinking allowed, the schema on the final message's body only.
        var grammar = host.Engine.LastRequest.Sampling.Grammar!;
        Assert.True(Accepts(grammar, string.Concat(Json)));
        Assert.False(Accepts(grammar, "{\"a\": 4}"));
        Assert.False(Accepts(grammar, "<|channel|>final<|message|>{\"a\": \"4\"}"));

        // Ollama's format on the same model.
        (status, body, _) = await Http.PostAsync(host.Http, "api/chat", "{\"model\":\"fake\",\"stream\":false,\"format\":\"json\",\"messages\":[{\"role\":\"user\",\"content\":\"2+2?\"}]}");
        Assert.Equal(200, status);
        Assert.Equal("{\"a\": 4}", body!["message"]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task AForcedToolChoiceIsOneCall()
    {
        await using var host = Harmony(ForcedCall);
        const string tools = ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}},"
            + "{\"type\":\"function\",\"function\":{\"name\":\"get_time\"}}]";
        var (status, body, _) = await Http.PostAsync(host.Http, "v1/chat/completions",
            Chat(false, tools + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}"));
        Assert.Equal(200, status);
        var choice = body!["choices"]![0]!;
        Assert.Equal("tool_calls", choice["finish_reason"]!.GetValue<string>());
        var call = choice["message"]!["tool_calls"]![0]!;
        Assert.Equal("get_weather", call["function"]!["name"]!.GetValue<string>());
        Assert.Equal("{\"city\":\"Paris\"}", call["function"]!["arguments"]!.GetValue<string>());
        var grammar = host.Engine.LastRequest.Sampling.Grammar!;
        Assert.True(Accepts(grammar, string.Concat(ForcedCall)));
        Assert.False(Accepts(grammar, "<|channel|>commentary to=functions.get_time <|constrain|>json<|message|>{}"));
        Assert.False(Accepts(grammar, "<|channel|>final<|message|>Sunny."));

        // Both at once cannot hold; an unknown name is the client's error.
        (status, _, _) = await Http.PostAsync(host.Http, "v1/chat/completions",
            Chat(false, tools + ",\"tool_choice\":\"required\",\"response_format\":{\"type\":\"json_object\"}"));
        Assert.Equal(400, status);
        (status, var error, _) = await Http.PostAsync(host.Http, "v1/chat/completions",
            Chat(false, tools + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_cost\"}}"));
        Assert.Equal(400, status);
        Assert.Contains("get_cost", error!.ToJsonString());
    }
}
