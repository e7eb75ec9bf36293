using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Hearth.Cli.Support;

/// <summary>A JSON request body from a <see cref="JsonNode"/>. JsonContent.Create&lt;T&gt; serialises through reflection,
/// which the Native AOT build cannot do; a node writes itself.</summary>
internal static class JsonBody
{
    public static HttpContent Create(JsonNode body)
    {
        var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(body.ToJsonString()));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }
}
