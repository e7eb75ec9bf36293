using System.Text.Json;
using Hearth.Bench.Workloads;

namespace Hearth.Bench.Client;

/// <summary>Writes the JSON body of one streaming request: model, prompt or messages, max_tokens, stream,
/// stream_options.include_usage, and ignore_eos when asked (a vLLM / llama.cpp extension; servers that do not
/// know it ignore it, which then shows as shorter outputs).</summary>
internal static class RequestBody
{
    /// <param name="responseFormat">a <c>response_format</c> object (JSON text) to constrain every answer with, or null</param>
    public static byte[] Write(string model, EndpointKind kind, BenchRequest request, bool ignoreEos, string? responseFormat = null)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("model", model);
            if (kind == EndpointKind.Chat)
            {
                w.WriteStartArray("messages");
                w.WriteStartObject();
                w.WriteString("role", "user");
                w.WriteString("content", request.Prompt);
                w.WriteEndObject();
                w.WriteEndArray();
            }
            else
            {
                w.WriteString("prompt", request.Prompt);
            }
            w.WriteNumber("max_tokens", request.MaxTokens);
            w.WriteBoolean("stream", true);
            w.WriteStartObject("stream_options");
            w.WriteBoolean("include_usage", true);
            w.WriteEndObject();
            if (ignoreEos) w.WriteBoolean("ignore_eos", true);
            if (responseFormat is not null)
            {
                w.WritePropertyName("response_format");
                w.WriteRawValue(responseFormat);
            }
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
