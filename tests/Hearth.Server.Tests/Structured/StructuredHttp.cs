using System.Text;
using System.Text.Json.Nodes;
using Hearth.Engine.Structured;
using Hearth.Server.Tests.Fakes;

namespace Hearth.Server.Tests.Structured;

/// <summary>Helpers the reasoning and harmony API tests share: whether a grammar the engine received takes a whole
/// text, and an OpenAI chat stream read back into its thinking, content, finish reason and tool-call arguments.</summary>
internal static class StructuredHttp
{
    /// <summary>Whether the grammar takes the whole text, fed byte by byte through the fake tokenizer's vocabulary.</summary>
    public static bool Accepts(Grammar grammar, string text)
    {
        var trie = TokenTrie.For(new FakeTokenizer(), 259);
        var m = new GrammarMatcher(grammar, trie);
        foreach (byte b in Encoding.UTF8.GetBytes(text))
            if (!m.TryAccept(b + FakeTokenizer.Offset)) return false;
        return m.IsAccepting;
    }

    public static async Task<(string Reasoning, string Content, string? Finish, string Arguments)> StreamOpenAiAsync(TestHost host, string body)
    {
        var r = await host.Http.PostAsync("v1/chat/completions", Http.Json(body));
        var reasoning = new StringBuilder();
        var content = new StringBuilder();
        var arguments = new StringBuilder();
        string? finish = null;
        foreach (var line in (await r.Content.ReadAsStringAsync()).Split('\n'))
        {
            if (!line.StartsWith("data: {", StringComparison.Ordinal)) continue;
            var choice = JsonNode.Parse(line[6..])!["choices"]![0]!;
            reasoning.Append(choice["delta"]!["reasoning_content"]?.GetValue<string>());
            content.Append(choice["delta"]!["content"]?.GetValue<string>());
            if (choice["delta"]!["tool_calls"] is JsonArray calls)
                foreach (var c in calls) arguments.Append(c!["function"]?["arguments"]?.GetValue<string>());
            finish ??= choice["finish_reason"]?.GetValue<string>();
        }
        return (reasoning.ToString(), content.ToString(), finish, arguments.ToString());
    }
}
