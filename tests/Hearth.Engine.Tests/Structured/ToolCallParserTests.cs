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

        // Streamed in 3-character pieces: content never shows a marker, content + calls reassemble the same, and each
        // call goes out as a start (id, name) and then argument fragments that add up to its final arguments.
        var stream = new ToolCallStream(format);
        var streamed = new System.Text.StringBuilder();
        var events = new List<ToolCallEvent>();
        for (int i = 0; i < output.Length; i += 3)
        {
            var piece = stream.Push(output.Substring(i, Math.Min(3, output.Length - i)));
            streamed.Append(piece.Content);
            events.AddRange(piece.Calls);
        }
        var end = stream.Finish();
        streamed.Append(end.Content);
        events.AddRange(end.Events);
        Assert.DoesNotContain("<tool_call>", streamed.ToString());
        Assert.DoesNotContain("[TOOL_CALLS]", streamed.ToString());
        Assert.Equal(content, streamed.ToString().Trim());
        Assert.Equal(nameArgs, end.Calls.SelectMany(c => new[] { c.Name, c.Arguments }));
        Assert.Equal(Reassemble(events), end.Calls.Select(c => (c.Id, c.Name, c.Arguments)));
    }

    /// <summary>The calls a client rebuilds from the events: a start gives id and name, fragments append.</summary>
    private static List<(string Id, string Name, string Arguments)> Reassemble(IEnumerable<ToolCallEvent> events)
    {
        var calls = new List<(string Id, string Name, string Arguments)>();
        foreach (var e in events)
        {
            if (e.Id is not null)
            {
                Assert.Equal(calls.Count, e.Call); // calls start in order, once each
                calls.Add((e.Id, e.Name!, ""));
            }
            else calls[e.Call] = calls[e.Call] with { Arguments = calls[e.Call].Arguments + e.Arguments };
        }
        return calls;
    }

    [Fact]
    public void ArgumentsStreamAsTheModelWritesThemNotAtTheEnd()
    {
        var stream = new ToolCallStream(ToolCallFormat.Hermes);
        var output = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris, France\", \"days\": [1, 2, 3]}}\n</tool_call>";
        var seen = new List<(int At, ToolCallEvent Event)>();
        for (int i = 0; i < output.Length; i++)
            foreach (var e in stream.Push(output[i].ToString()).Calls) seen.Add((i + 1, e));
        var end = stream.Finish();
        Assert.Empty(end.Events); // everything went out while streaming
        // The start comes as soon as the arguments begin; fragments follow the text closely (the minified prefix).
        int argsAt = output.IndexOf("{\"location", StringComparison.Ordinal) + 1;
        Assert.Equal(argsAt, seen[0].At);
        Assert.Equal(("get_weather", ""), (seen[0].Event.Name, seen[0].Event.Arguments));
        Assert.True(seen.Count > 10, $"{seen.Count} events: arguments were not streamed in pieces");
        Assert.Equal("{\"location\":\"Paris, France\",\"days\":[1,2,3]}", string.Concat(seen.Skip(1).Select(s => s.Event.Arguments)));
        Assert.Equal("{\"location\":\"Paris, France\",\"days\":[1,2,3]}", end.Calls.Single().Arguments);
        Assert.Equal(seen[0].Event.Id, end.Calls.Single().Id);
    }

    [Fact]
    public void ACallCutShortKeepsWhatWasStreamedAndArgumentsObjectsAreNotCalls()
    {
        // A "name" inside arguments is not a call; an unfinished call is reported as far as it went.
        var stream = new ToolCallStream(ToolCallFormat.Llama3Json);
        var output = "{\"name\": \"add_user\", \"parameters\": {\"user\": {\"name\": \"Bob\", \"parameters\": {\"a\": 1}}, \"note\": \"hi";
        var events = new List<ToolCallEvent>();
        foreach (var ch in output) events.AddRange(stream.Push(ch.ToString()).Calls);
        var end = stream.Finish();
        events.AddRange(end.Events);
        var call = Assert.Single(end.Calls);
        Assert.Equal("add_user", call.Name);
        Assert.Equal("{\"user\":{\"name\":\"Bob\",\"parameters\":{\"a\":1}},\"note\":\"hi", call.Arguments);
        Assert.Equal([(call.Id, call.Name, call.Arguments)], Reassemble(events));
        Assert.Equal("", end.Content);
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
