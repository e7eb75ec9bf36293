using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Hearth.Server.Tests;

/// <summary>Raw HTTP helpers for tests.</summary>
public static class Http
{
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static async Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> PostAsync(HttpClient c, string path, string json, string? key = null)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json(json) };
        if (key is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var resp = await c.SendAsync(req);
        var text = await resp.Content.ReadAsStringAsync();
        return ((int)resp.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), resp);
    }

    /// <summary>POSTs a streaming request and returns the JSON of every server-sent event's data line, in order.</summary>
    public static async Task<List<JsonNode>> SseEventsAsync(HttpClient c, string path, string json)
    {
        var r = await c.PostAsync(path, Json(json));
        return (await r.Content.ReadAsStringAsync()).Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => JsonNode.Parse(l[6..])!).ToList();
    }

    /// <summary>Asserts an OpenAI-shaped error with exactly the four fields.</summary>
    public static JsonObject AssertOpenAiError(JsonNode? body, string? param = null, string? code = null)
    {
        var err = Assert.IsType<JsonObject>(Assert.IsType<JsonObject>(body)["error"]);
        Assert.Equal(["message", "type", "param", "code"], err.Select(p => p.Key).ToArray());
        Assert.False(string.IsNullOrEmpty(err["message"]!.GetValue<string>()));
        Assert.DoesNotContain("   at ", err["message"]!.GetValue<string>()); // no stack traces
        Assert.Equal(param, err["param"]?.GetValue<string>());
        if (code is not null) Assert.Equal(code, err["code"]?.GetValue<string>());
        return err;
    }
}
