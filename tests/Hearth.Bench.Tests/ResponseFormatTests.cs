using System.Text.Json.Nodes;
using Hearth.Bench.Client;
using Hearth.Bench.Running;
using Hearth.Bench.Workloads;

namespace Hearth.Bench.Tests;

/// <summary>`hearth bench --response-format`: structured-output load (json_object or a JSON Schema file) reaches every
/// request body as OpenAI's response_format, and bad values are clear errors.</summary>
public class ResponseFormatTests
{
    [Fact]
    public void ASchemaFileBecomesAStrictJsonSchemaResponseFormat()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bench-schema-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}""");
        try
        {
            var format = BenchConfig.ResponseFormatFor(path);
            var body = JsonNode.Parse(RequestBody.Write("m", EndpointKind.Chat, new BenchRequest("hi", 1, 8), ignoreEos: false, format))!;
            Assert.Equal("json_schema", body["response_format"]!["type"]!.GetValue<string>());
            Assert.True(body["response_format"]!["json_schema"]!["strict"]!.GetValue<bool>());
            Assert.Equal("string", body["response_format"]!["json_schema"]!["schema"]!["properties"]!["name"]!["type"]!.GetValue<string>());
            Assert.Equal(8, body["max_tokens"]!.GetValue<int>());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void JsonObjectAndNoneAreWrittenAsAsked()
    {
        var json = JsonNode.Parse(RequestBody.Write("m", EndpointKind.Completions, new BenchRequest("hi", 1, 8), false, BenchConfig.ResponseFormatFor("json_object")))!;
        Assert.Equal("json_object", json["response_format"]!["type"]!.GetValue<string>());
        var plain = JsonNode.Parse(RequestBody.Write("m", EndpointKind.Chat, new BenchRequest("hi", 1, 8), false))!;
        Assert.Null(plain["response_format"]);
    }

    [Fact]
    public void BadValuesAreRefusedWithTheReason()
    {
        Assert.Contains("neither json_object nor a JSON Schema file", Assert.Throws<FormatException>(() => BenchConfig.ResponseFormatFor("/no/such/file.json")).Message);
        var path = Path.Combine(Path.GetTempPath(), $"bench-schema-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "[1,2]");
        try
        {
            Assert.Contains("must hold a JSON Schema object", Assert.Throws<FormatException>(() => BenchConfig.ResponseFormatFor(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
