using System.Text.Json.Nodes;
using Hearth.Core.Templates;
using Hearth.Engine.Structured;
using Hearth.Engine.Structured.Tools;
using Hearth.Tests;

namespace Hearth.Engine.Tests.Structured;

/// <summary>Tool-call formats detected from the real chat templates in ../shared/reference/templates, and scripted
/// model outputs in each family's format parsed to the exact calls — whole, and streamed in small pieces.</summary>
public class ToolCallParserTests
{
    [SharedTheory]
    [InlineData("NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use.jinja", ToolCallFormat.Hermes)]
    [InlineData("NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja", ToolCallFormat.Hermes)]
    [InlineData("Qwen-Qwen2.5-7B-Instruct.jinja", ToolCallFormat.Hermes)]
    [InlineData("meta-llama-Llama-3.1-8B-Instruct.jinja", ToolCallFormat.Llama3Json)]
    [InlineData("meta-llama-Llama-3.2-3B-Instruct.jinja", ToolCallFormat.Llama3Json)]
    [InlineData("meta-llama-Llama-3.3-70B-Instruct.jinja", ToolCallFormat.Llama3Json)]
    [InlineData("mistralai-Mistral-Nemo-Instruct-2407.jinja", ToolCallFormat.Mistral)]
    [InlineData("google-gemma-2-2b-it.jinja", ToolCallFormat.GenericJson)]
    public void FormatIsDetectedFromTheRealTemplate(string file, ToolCallFormat expected)
    {
        var template = ChatTemplate.Parse(File.ReadAllText(TestPaths.SharedFile("reference", "templates", file)!));
        Assert.Equal(expected, ToolCallFormats.Detect(template));
    }

    public static TheoryData<ToolCallFormat, string, string, string[]> Outputs => new()
    {
        { ToolCallFormat.Hermes, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris, France\", \"unit\": \"celsius\"}}\n</tool_call>", "",
            ["get_weather", "{\"location\":\"Paris, France\",\"unit\":\"celsius\"}"] },
        { ToolCallFormat.Hermes, "Let me check.\n<tool_call>\n{\"name\": \"a\", \"arguments\": {}}\n</tool_call>\n<tool_call>\n{\"name\": \"b\", \"arguments\": {\"x\": [1, 2]}}\n</tool_call>", "Let me check.",
            ["a", "{}", "b", "{\"x\":[1,2]}"] },
        { ToolCallFormat.Llama3Json, "{\"name\": \"get_weather\", \"parameters\": {\"location\": \"Paris\"}}", "", ["get_weather", "{\"location\":\"Paris\"}"] },
        { ToolCallFormat.Llama3Json, "<|python_tag|>{\"name\": \"a\", \"parameters\": {\"q\": \"x;y\"}}; {\"name\": \"b\", \"parameters\": {}}", "", ["a", "{\"q\":\"x;y\"}", "b", "{}"] },
        { ToolCallFormat.Mistral, "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\"}, \"id\": \"abc123xyz\"}]", "", ["get_weather", "{\"location\":\"Paris\"}"] },
        { ToolCallFormat.GenericJson, "{\"name\": \"lookup\", \"arguments\": \"{\\\"id\\\": 7}\"}", "", ["lookup", "{\"id\": 7}"] },
        { ToolCallFormat.GenericJson, "The answer is 42.", "The answer is 42.", [] },
        { ToolCallFormat.Hermes, "No tools needed: <tool_call is not a tag.", "No tools needed: <tool_call is not a tag.", [] },
    };

    [Theory]
    [MemberData(nameof(Outputs))]
    public void ScriptedOutputsParseToTheExactCalls(ToolCallFormat format, string output, string content, string[] nameArgs)
    {
        var parsed = ToolCallParser.Parse(format, output);
        Assert.Equal(content, parsed.Content);
        Assert.Equal(nameArgs, parsed.Calls.SelectMany(c => new[] { c.Name, c.Arguments }));
        Assert.All(parsed.Calls, c => Assert.False(string.IsNullOrEmpty(c.Id)));
        Assert.Equal(parsed.Calls.Count, parsed.Calls.Select(c => c.Id).Distinct().Count());

        // Streamed in 3-character pieces: content never shows a marker, and content + calls reassemble the same.
        var stream = new ToolCallStream(format);
        var streamed = new System.Text.StringBuilder();
        for (int i = 0; i < output.Length; i += 3) streamed.Append(stream.Push(output.Substring(i, Math.Min(3, output.Length - i))));
        var end = stream.Finish();
        streamed.Append(end.Content);
        Assert.DoesNotContain("<tool_call>", streamed.ToString());
        Assert.DoesNotContain("[TOOL_CALLS]", streamed.ToString());
        Assert.Equal(content, streamed.ToString().Trim());
        Assert.Equal(nameArgs, end.Calls.SelectMany(c => new[] { c.Name, c.Arguments }));
    }

    [Fact]
    public void RequiredToolGrammarOnlyAdmitsCallsWithSchemaValidArguments()
    {
        var tools = (JsonArray)JsonNode.Parse("""
            [{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string","maxLength":10},"unit":{"enum":["c","f"]}},"required":["city","unit"]}}},
             {"type":"function","function":{"name":"now","parameters":{"type":"object","properties":{},"additionalProperties":false}}}]
            """)!;
        var g = ToolGrammar.Build(ToolCallFormat.Hermes, tools, null);
        Assert.True(GrammarKit.Matches(g, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\", \"unit\": \"c\"}}\n</tool_call>"));
        Assert.True(GrammarKit.Matches(g, "<tool_call>\n{\"name\": \"now\", \"arguments\": {}}\n</tool_call>"));
        Assert.False(GrammarKit.Matches(g, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call>"));
        Assert.False(GrammarKit.Matches(g, "<tool_call>\n{\"name\": \"other\", \"arguments\": {}}\n</tool_call>"));
        var named = ToolGrammar.Build(ToolCallFormat.Llama3Json, tools, "now");
        Assert.True(GrammarKit.Matches(named, "{\"name\": \"now\", \"parameters\": {}}"));
        Assert.False(GrammarKit.Matches(named, "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"a\", \"unit\": \"c\"}}"));
        Assert.Throws<GrammarException>(() => ToolGrammar.Build(ToolCallFormat.Hermes, tools, "missing"));
    }
}
