using System.ClientModel;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Engine.Tests.Structured;
using Hearth.Tests;
using Json.Schema;
using OpenAI;
using OpenAI.Chat;

namespace Hearth.Server.Tests.Structured;

/// <summary>Structured outputs over real HTTP on a random-weight Llama-3 model: the official OpenAI SDK's
/// response_format json_schema (streaming and not, 16 at once), the vLLM and llama.cpp extras and Ollama's format,
/// every answer checked with JsonSchema.Net; schemas that cannot be enforced are a 400 naming the keyword.</summary>
public sealed class StructuredOutputApiTests
{
    private static bool Valid(string schema, string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return JsonSchema.FromText(schema).Evaluate(doc.RootElement, new EvaluationOptions { RequireFormatValidation = true }).IsValid;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    [SharedFact]
    public async Task SdkResponseFormatJsonSchemaSixteenAtOnceStreamingAndNot()
    {
        await using var host = new RealModelHost("synthetic-llama3-tiny.gguf");
        var chat = new ChatClient("noise", new ApiKeyCredential("unused"),
            new OpenAIClientOptions { Endpoint = new Uri(host.BaseAddress, "v1"), NetworkTimeout = TimeSpan.FromMinutes(5) });
        var schemas = SchemaSuite.All.Where((_, i) => i % 3 == 0).Take(8).ToArray();
        var tasks = new List<Task>();
        for (int i = 0; i < 16; i++)
        {
            var (name, schema) = schemas[i % schemas.Length];
            bool stream = i % 2 == 1;
            int seed = i;
            tasks.Add(Task.Run(async () =>
            {
                var options = new ChatCompletionOptions
                {
                    ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat(name, BinaryData.FromString(schema), jsonSchemaIsStrict: true),
                    Temperature = 1, MaxOutputTokenCount = 1500,
                };
#pragma warning disable OPENAI001 // Seed is marked experimental
                options.Seed = seed;
#pragma warning restore OPENAI001
                string text;
                ChatFinishReason? finish;
                if (!stream)
                {
                    ChatCompletion c = await chat.CompleteChatAsync([new UserChatMessage("Answer in JSON.")], options);
                    text = c.Content[0].Text;
                    finish = c.FinishReason;
                }
                else
                {
                    var sb = new StringBuilder();
                    finish = null;
                    await foreach (var u in chat.CompleteChatStreamingAsync([new UserChatMessage("Answer in JSON.")], options))
                    {
                        foreach (var part in u.ContentUpdate) sb.Append(part.Text);
                        finish ??= u.FinishReason;
                    }
                    text = sb.ToString();
                }
                Assert.True(finish == ChatFinishReason.Stop, $"{name}: finish {finish}: {text}");
                Assert.True(Valid(schema, text), $"{name} (stream {stream}): invalid {JsonSerializer.Serialize(text)}");
            }));
        }
        await Task.WhenAll(tasks);
    }

    [SharedFact]
    public async Task VllmLlamaCppAndOllamaConstraintFields()
    {
        await using var host = new RealModelHost("synthetic-llama3-tiny.gguf");
        async Task<string> Completion(object body)
        {
            var r = await host.Http.PostAsJsonAsync("v1/completions", body);
            var json = JsonNode.Parse(await r.Content.ReadAsStringAsync())!;
            Assert.True(r.StatusCode == HttpStatusCode.OK, json.ToJsonString());
            Assert.Equal("stop", json["choices"]![0]!["finish_reason"]!.GetValue<string>());
            return json["choices"]![0]!["text"]!.GetValue<string>();
        }
        Assert.Contains(await Completion(new { model = "noise", prompt = "Pick", guided_choice = new[] { "alpha", "beta \"b\"" }, seed = 1 }), new[] { "alpha", "beta \"b\"" });
        Assert.Matches("^[0-9]{3}-[a-z]{2}$", await Completion(new { model = "noise", prompt = "Code", guided_regex = "[0-9]{3}-[a-z]{2}", seed = 2 }));
        Assert.Matches("^(yes|no)!$", await Completion(new { model = "noise", prompt = "Say", grammar = "root ::= (\"yes\" | \"no\") \"!\"", seed = 3 }));
        Assert.Matches("^[a-c]{2}$", await Completion(new { model = "noise", prompt = "Say", structured_outputs = new { regex = "[a-c]{2}" }, seed = 4 }));
        const string schema = """{"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"],"additionalProperties":false}""";
        Assert.True(Valid(schema, await Completion(new { model = "noise", prompt = "JSON", guided_json = JsonNode.Parse(schema), seed = 5 })));
        Assert.True(Valid(schema, await Completion(new { model = "noise", prompt = "JSON", json_schema = JsonNode.Parse(schema), seed = 6 })));

        var ollama = await host.Http.PostAsJsonAsync("api/generate", new { model = "noise", prompt = "JSON", format = JsonNode.Parse(schema), stream = false, options = new { seed = 7, num_predict = 400 } });
        var answer = JsonNode.Parse(await ollama.Content.ReadAsStringAsync())!;
        Assert.True(Valid(schema, answer["response"]!.GetValue<string>()), answer.ToJsonString());
        // A structure cut by num_predict reports "length" (the shortest valid answer needs more than 3 tokens).
        var cutRequest = await host.Http.PostAsJsonAsync("api/generate", new { model = "noise", prompt = "JSON", format = "json", stream = false, options = new { seed = 8, num_predict = 3 } });
        var cutShort = JsonNode.Parse(await cutRequest.Content.ReadAsStringAsync())!;
        Assert.True(cutShort["done_reason"]!.GetValue<string>() == "length" || Valid("""{"type":"object"}""", cutShort["response"]!.GetValue<string>()), cutShort.ToJsonString());
        cutRequest = await host.Http.PostAsJsonAsync("api/generate", new { model = "noise", prompt = "JSON", format = JsonNode.Parse("""{"type":"object","properties":{"word":{"type":"string","pattern":"^[a-z]{8}$"}},"required":["word"]}"""), stream = false, options = new { seed = 8, num_predict = 3 } });
        var cut = JsonNode.Parse(await cutRequest.Content.ReadAsStringAsync())!;
        Assert.True(cut["done_reason"]!.GetValue<string>() == "length", cut.ToJsonString());
    }

    [SharedFact]
    public async Task UnenforceableConstraintsAreA400NamingTheCause()
    {
        await using var host = new RealModelHost("synthetic-llama3-tiny.gguf");
        async Task<JsonNode> Error(object body)
        {
            var r = await host.Http.PostAsJsonAsync("v1/chat/completions", body);
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            return JsonNode.Parse(await r.Content.ReadAsStringAsync())!["error"]!;
        }
        var messages = new[] { new { role = "user", content = "hi" } };
        var e = await Error(new { model = "noise", messages, response_format = new { type = "json_schema", json_schema = new { name = "x", schema = JsonNode.Parse("""{"type":"string","not":{"const":"a"}}""") } } });
        Assert.True(e["message"]!.GetValue<string>().Contains("'not'") && e["param"]!.GetValue<string>() == "response_format: not", e.ToJsonString());
        e = await Error(new { model = "noise", messages, response_format = new { type = "json_schema", json_schema = new { name = "x", schema = JsonNode.Parse("""{"$ref":"https://x.org/s.json"}""") } } });
        Assert.Equal("response_format: $ref", e["param"]!.GetValue<string>());
        e = await Error(new { model = "noise", messages, guided_regex = "(a)\\1" });
        Assert.Equal("guided_regex", e["param"]!.GetValue<string>());
        e = await Error(new { model = "noise", messages, guided_regex = "a", guided_choice = new[] { "a" } });
        Assert.Contains("only one output constraint", e["message"]!.GetValue<string>());
        e = await Error(new { model = "noise", messages, grammar = "root ::= root \"a\"" });
        Assert.Contains("left-recursive", e["message"]!.GetValue<string>());
    }
}
