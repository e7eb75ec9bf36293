using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace Hearth.Router.Hosting;

/// <summary>JSON answers built as <see cref="JsonNode"/>s, which write themselves: the router's replies need no
/// reflection-based serialisation, so the Native AOT build answers with the same bytes.</summary>
internal static class JsonReply
{
    public static async Task WriteAsync(HttpContext ctx, JsonNode body, int status = 200)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json; charset=utf-8";
        await ctx.Response.Body.WriteAsync(System.Text.Encoding.UTF8.GetBytes(body.ToJsonString()), ctx.RequestAborted);
    }

    /// <summary>A JSON array of strings, or null.</summary>
    public static JsonArray? Strings(IEnumerable<string>? values) =>
        values is null ? null : new JsonArray(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
}

/// <summary>Source-generated reading of the admin API's request bodies (snake_case, unknown members refused).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(AdminEndpoints.KeyBody))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
