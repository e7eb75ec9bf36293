using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.Http;

/// <summary>Writes JSON with Utf8JsonWriter into a pooled buffer (no reflection, no per-field allocations).</summary>
public static class JsonOut
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = false,
        // APIs, not HTML: keep quotes and non-ASCII text readable as Ollama and OpenAI write them.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Serializes one JSON value built by <paramref name="build"/> into bytes.</summary>
    public static byte[] ToBytes(Action<Utf8JsonWriter> build)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, Options)) build(w);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes a whole JSON response.</summary>
    public static Task WriteAsync(HttpContext ctx, int status, Action<Utf8JsonWriter> build) => WriteAsync(ctx, status, ToBytes(build));

    /// <summary>Writes a whole JSON response from serialized bytes.</summary>
    public static async Task WriteAsync(HttpContext ctx, int status, byte[] bytes)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json; charset=utf-8";
        ctx.Response.ContentLength = bytes.Length;
        await ctx.Response.Body.WriteAsync(bytes, ctx.RequestAborted);
    }

    /// <summary>Writes a string property or null.</summary>
    public static void StringOrNull(this Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name); else w.WriteString(name, value);
    }
}
