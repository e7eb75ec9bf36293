using Hearth.Engine.Structured;
using Json.Schema;
using static Hearth.Engine.Tests.Structured.GrammarKit;

namespace Hearth.Engine.Tests.Structured;

/// <summary>JSON Schema compilation: exact matching of hand-picked documents, refusal of unsupported keywords, and
/// random walks over a small vocabulary checked with JsonSchema.Net (the oracle).</summary>
public class JsonSchemaGrammarTests
{
    internal static bool IsValid(string schema, string json)
    {
        System.Text.Json.JsonDocument doc;
        try { doc = System.Text.Json.JsonDocument.Parse(json); }
        catch (System.Text.Json.JsonException) { return false; }
        using var _ = doc;
        var result = JsonSchema.FromText(schema).Evaluate(doc.RootElement, new EvaluationOptions { RequireFormatValidation = true });
        return result.IsValid;
    }

    private static Grammar Compile(string schema) => GrammarCache.Get(OutputConstraint.Schema(schema));

    [Theory]
    [InlineData("""{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"],"additionalProperties":false}""", """{"a":12}""", true)]
    [InlineData("""{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"],"additionalProperties":false}""", """{ "a" : -3 }""", true)]
    [InlineData("""{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"],"additionalProperties":false}""", """{}""", false)]
    [InlineData("""{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"],"additionalProperties":false}""", """{"a":1.5}""", false)]
    [InlineData("""{"enum":["a\"b","c\\d"]}""", "\"a\\\"b\"", true)]
    [InlineData("""{"enum":["a\"b","c\\d"]}""", "\"c\\\\d\"", true)]
    [InlineData("""{"enum":["a\"b","c\\d"]}""", "\"a\"", false)]
    [InlineData("""{"type":"array","prefixItems":[{"type":"integer"},{"type":"string"}],"items":false}""", """[1,"x"]""", true)]
    [InlineData("""{"type":"array","prefixItems":[{"type":"integer"},{"type":"string"}],"items":false}""", """[1,"x",2]""", false)]
    [InlineData("""{"type":"array","prefixItems":[{"type":"integer"},{"type":"string"}],"items":false}""", """[1]""", true)]
    [InlineData("""{"type":"string","format":"date"}""", "\"2024-02-28\"", true)]
    [InlineData("""{"type":"string","format":"date"}""", "\"2023-02-30\"", false)]
    [InlineData("""{"type":"string","format":"date"}""", "\"2023-04-31\"", false)]
    [InlineData("""{"type":"integer","minimum":-15,"maximum":230}""", "230", true)]
    [InlineData("""{"type":"integer","minimum":-15,"maximum":230}""", "231", false)]
    [InlineData("""{"type":"integer","minimum":-15,"maximum":230}""", "-16", false)]
    [InlineData("""{"type":"integer","minimum":-15,"maximum":230}""", "007", false)]
    [InlineData("""{"type":"object"}""", """{"x":[1,{"y":null}],"z":"\u00e9\n"}""", true)]
    [InlineData("""{"type":"object"}""", """[1]""", false)]
    [InlineData("""{"type":"string"}""", "\"\\ud800\"", false)]
    [InlineData("""{"definitions":{"d":{"type":"boolean"}},"type":"array","items":{"$ref":"#/definitions/d"}}""", "[true,false]", true)]
    [InlineData("""{"definitions":{"d":{"type":"boolean"}},"type":"array","items":{"$ref":"#/definitions/d"}}""", "[1]", false)]
    public void SchemaGrammarMatchesExactly(string schema, string json, bool expected) =>
        Assert.Equal(expected, Matches(Compile(schema), json));

    [Fact]
    public void WhitespaceBetweenTokensIsBounded()
    {
        var g = Compile("""{"type":"array","items":{"type":"integer"}}""");
        Assert.True(Matches(g, "[" + new string(' ', 20) + "1]"));
        Assert.False(Matches(g, "[" + new string(' ', 21) + "1]"));
    }

    [Theory]
    [InlineData("""{"type":"string","not":{"const":"x"}}""", "not")]
    [InlineData("""{"$ref":"https://example.com/schema.json"}""", "$ref")]
    [InlineData("""{"$ref":"#/$defs/missing"}""", "$ref")]
    [InlineData("""{"type":"string","contentEncoding":"base64"}""", "contentEncoding")]
    [InlineData("""{"type":"array","uniqueItems":true}""", "uniqueItems")]
    [InlineData("""{"type":"string","format":"hostname-idn"}""", "format")]
    [InlineData("""{"type":"object","patternProperties":{"^a":{}}}""", "patternProperties")]
    [InlineData("""{"if":{"type":"string"},"then":{"maxLength":2}}""", "if")]
    public void UnsupportedKeywordsAreRefusedByName(string schema, string keyword)
    {
        var e = Assert.Throws<GrammarException>(() => Compile(schema));
        Assert.Equal(keyword, e.Keyword);
        Assert.Contains(keyword, e.Message);
    }

    [Fact]
    public void AllOfKeepsAdditionalPropertiesFalseOfEachSide()
    {
        // The top-level additionalProperties:false sees no properties of its own, so "a" is additional to it.
        var e = Assert.Throws<GrammarException>(() => Compile("""{"allOf":[{"properties":{"a":{"type":"integer"}},"required":["a"]}],"additionalProperties":false}"""));
        Assert.Equal("allOf", e.Keyword);
        var g = Compile("""{"allOf":[{"properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"additionalProperties":false},{"properties":{"b":{"type":"integer"},"c":{"type":"integer"}}}]}""");
        Assert.True(Matches(g, """{"b":1}"""));
        Assert.False(Matches(g, """{"b":1,"c":2}"""));
    }

    [Fact]
    public void RecursionThroughRefsCompilesOnceAndMatchesDeepDocuments()
    {
        var (_, schema) = SchemaSuite.All.Single(s => s.Name == "linked-list");
        Assert.True(Matches(Compile(schema), """{"value":1,"next":{"value":2,"next":{"value":3}}}"""));
        Assert.Same(Compile(schema), Compile(schema)); // cached by hash
    }

    [Fact]
    public void RandomWalksOverEverySuiteSchemaAreValid()
    {
        var trie = SmallVocab(JsonPieces);
        var rng = new Random(22);
        foreach (var (name, schema) in SchemaSuite.All)
        {
            var g = Compile(schema);
            for (int i = 0; i < 10; i++)
            {
                var (text, ended) = Walk(g, trie, rng, 2000);
                Assert.True(ended, $"{name}: walk did not end: {System.Text.Json.JsonSerializer.Serialize(text)}");
                Assert.True(IsValid(schema, text), $"{name}: invalid output {System.Text.Json.JsonSerializer.Serialize(text)}");
            }
        }
    }
}
