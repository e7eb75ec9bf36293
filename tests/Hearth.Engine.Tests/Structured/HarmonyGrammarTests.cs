using System.Text.Json.Nodes;
using Hearth.Engine.Structured;
using Hearth.Engine.Structured.Harmony;

namespace Hearth.Engine.Tests.Structured;

/// <summary>gpt-oss's constrained answers: an output constraint governs the final message's body, a forced tool choice
/// makes the answer one call in the commentary channel with schema-valid arguments, and either may follow one analysis
/// message (whose text cannot hold &lt;|end|&gt;). Exact strings, then noise: random walks over a vocabulary that has
/// harmony's markers as tokens end only in answers that <see cref="HarmonyParser"/> reads as valid.</summary>
public sealed class HarmonyGrammarTests
{
    private const string SchemaText = """{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"],"additionalProperties":false}""";
    private static readonly Grammar Schema = GrammarCache.Get(OutputConstraint.Schema(SchemaText));

    private const string ArgsSchema = """{"type":"object","properties":{"city":{"type":"string","enum":["Paris","Oslo"]}},"required":["city"],"additionalProperties":false}""";
    private static JsonArray Tools() => JsonNode.Parse(
        "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":" + ArgsSchema + "}},"
        + "{\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"parameters\":{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}}}]")!.AsArray();

    private const string Think = "<|channel|>analysis<|message|>Let me see.<|end|><|start|>assistant";

    [Theory]
    [InlineData("<|channel|>final<|message|>{\"a\":4}", true)]
    [InlineData(Think + "<|channel|>final<|message|>{\"a\": 4}", true)]
    [InlineData("{\"a\":4}", false)] // the final header is required
    [InlineData("<|channel|>final<|message|>{\"a\":\"4\"}", false)]
    [InlineData("<|channel|>analysis<|message|>x<|end|>y<|end|><|start|>assistant<|channel|>final<|message|>{\"a\":4}", false)]
    [InlineData("<|channel|>analysis<|message|>x<|end|><|channel|>final<|message|>{\"a\":4}", false)]
    [InlineData("<|channel|>analysis<|message|>x<|start|>y<|end|><|start|>assistant<|channel|>final<|message|>{\"a\":4}", false)]
    [InlineData("<|channel|>commentary<|message|>hi<|end|><|start|>assistant<|channel|>final<|message|>{\"a\":4}", false)]
    public void AnOutputConstraintGovernsTheFinalMessage(string output, bool valid) =>
        Assert.Equal(valid, GrammarKit.Matches(HarmonyGrammar.Final(Schema), output));

    [Theory]
    [InlineData("<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\":\"Paris\"}", null, true)]
    [InlineData(Think + "<|channel|>commentary to=functions.get_time <|constrain|>json<|message|>{}", null, true)]
    [InlineData("<|channel|>commentary to=functions.get_time <|constrain|>json<|message|>{}", "get_weather", false)]
    [InlineData("<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\":\"Rome\"}", null, false)]
    [InlineData("<|channel|>commentary to=functions.get_cost <|constrain|>json<|message|>{}", null, false)]
    [InlineData("<|channel|>final<|message|>It is sunny.", null, false)]
    public void AForcedToolChoiceIsOneCall(string output, string? only, bool valid) =>
        Assert.Equal(valid, GrammarKit.Matches(HarmonyGrammar.Call(Tools(), only), output));

    private static readonly string[] HarmonyPieces =
    [
        .. GrammarKit.JsonPieces, HarmonyParser.Channel, HarmonyParser.Message, HarmonyParser.End, HarmonyParser.Start,
        HarmonyParser.Constrain, "analysis", "final", "commentary", " to=functions.", "get_weather", "get_time", "json",
        "assistant", "Paris", "city", "<|", "|>",
    ];

    [Fact]
    public void NoiseThinksThenAnswersValidJsonInTheFinalChannel()
    {
        var trie = GrammarKit.SmallVocab(HarmonyPieces);
        var g = HarmonyGrammar.Final(Schema);
        var rng = new Random(3);
        int ended = 0, thought = 0;
        for (int i = 0; i < 40; i++)
        {
            var (text, end) = GrammarKit.Walk(g, trie, rng, 3000);
            if (!end) continue;
            ended++;
            var answer = HarmonyParser.Parse(text);
            if (answer.Reasoning.Length > 0) thought++;
            Assert.True(JsonSchemaGrammarTests.IsValid(SchemaText, answer.Content), text);
            Assert.Empty(answer.Calls);
        }
        Assert.True(ended > 0 && thought > 0, $"{ended} walks ended, {thought} after thinking");
    }

    [Fact]
    public void NoiseUnderAForcedChoiceIsOneValidCall()
    {
        var trie = GrammarKit.SmallVocab(HarmonyPieces);
        var g = HarmonyGrammar.Call(Tools(), "get_weather");
        var rng = new Random(5);
        int ended = 0;
        for (int i = 0; i < 40; i++)
        {
            var (text, end) = GrammarKit.Walk(g, trie, rng, 3000);
            if (!end) continue;
            ended++;
            var answer = HarmonyParser.Parse(text);
            var call = Assert.Single(answer.Calls);
            Assert.Equal("get_weather", call.Name);
            Assert.True(JsonSchemaGrammarTests.IsValid(ArgsSchema, call.Arguments), text);
            Assert.Equal("", answer.Content);
        }
        Assert.True(ended > 0);
    }
}
