using System.Runtime.InteropServices;
using System.Text.Json;
using Hearth.Server.Http;

namespace Hearth.Server.Embeddings;

/// <summary>What the APIs do to a pooled vector: Matryoshka truncation to `dimensions`, L2 normalisation, and the
/// OpenAI `encoding_format` (a float array or base64 of little-endian float32).</summary>
internal static class EmbeddingVectors
{
    /// <summary>Validates `dimensions` against the model's width (null when absent).</summary>
    public static int? Dimensions(JsonArgs args, int width)
    {
        var d = args.Int("dimensions", 1);
        if (d > width) throw ApiException.BadRequest($"'dimensions' is {d}, more than the model's {width}", "dimensions");
        return d;
    }

    /// <summary>The first <paramref name="dimensions"/> components (all when null), L2-normalised when asked.</summary>
    public static float[] Finish(float[] raw, int? dimensions, bool normalize)
    {
        var v = dimensions is { } k && k < raw.Length ? raw[..k] : raw;
        if (!normalize) return v;
        double sum = 0;
        foreach (var x in v) sum += (double)x * x;
        if (sum == 0) return v;
        float inv = (float)(1.0 / Math.Sqrt(sum));
        var r = new float[v.Length];
        for (int i = 0; i < r.Length; i++) r[i] = v[i] * inv;
        return r;
    }

    public static void WriteFloats(Utf8JsonWriter w, string? name, float[] v)
    {
        if (name is null) w.WriteStartArray(); else w.WriteStartArray(name);
        foreach (var x in v) w.WriteNumberValue(x);
        w.WriteEndArray();
    }

    /// <summary>base64 of the vector's little-endian float32 bytes (what the OpenAI SDKs decode).</summary>
    public static string Base64(float[] v)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("base64 embeddings need a little-endian host");
        return Convert.ToBase64String(MemoryMarshal.AsBytes(v.AsSpan()));
    }
}
