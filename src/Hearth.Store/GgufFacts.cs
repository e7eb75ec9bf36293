using System.Globalization;
using Hearth.Core.Gguf;

namespace Hearth.Store;

/// <summary>What `hearth list`/`show` and /api/tags say about a GGUF: family, parameter count, quantization,
/// context length, read once from the file's metadata and tensor table.</summary>
public sealed record GgufFacts(string Family, string ParameterSize, string QuantizationLevel, int ContextLength,
    long ParameterCount, string? License, IReadOnlyDictionary<string, string> Details)
{
    /// <summary>Reads the facts; throws <see cref="GgufException"/> when the file is not a valid GGUF.</summary>
    public static GgufFacts Read(string path)
    {
        using var f = GgufFile.Open(path);
        string arch = f.GetString("general.architecture") ?? "";
        long parameters = f.Tensors.Sum(t => t.ElementCount);
        int context = (int)Math.Clamp(f.GetInteger($"{arch}.context_length") ?? 0, 0, int.MaxValue);
        var details = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in new[] { "embedding_length", "block_count", "attention.head_count", "attention.head_count_kv", "feed_forward_length", "rope.freq_base" })
        {
            if (f.Metadata.TryGetValue($"{arch}.{key}", out var v) && !v.IsArray)
                details[key] = Convert.ToString(v.Value, CultureInfo.InvariantCulture) ?? "";
        }
        return new GgufFacts(arch, FormatParameterCount(parameters), Quantization(f), context, parameters,
            f.GetString("general.license"), details);
    }

    /// <summary>Like Ollama: "656.25K", "1.24B", "8.03B".</summary>
    public static string FormatParameterCount(long n) => n switch
    {
        >= 1_000_000_000 => Format(n / 1e9) + "B",
        >= 1_000_000 => Format(n / 1e6) + "M",
        >= 1_000 => Format(n / 1e3) + "K",
        _ => n.ToString(CultureInfo.InvariantCulture),
    };

    private static string Format(double x) => Math.Round(x, 2).ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>The quantization name: from general.file_type (llama.cpp's ftype numbering) when present, otherwise
    /// the type holding the most bytes among 2-D weight tensors.</summary>
    private static string Quantization(GgufFile f)
    {
        if (f.GetInteger("general.file_type") is { } ft && FileTypeName(ft) is { } name)
            return name;
        var byType = f.Tensors.Where(t => t.Dimensions.Length >= 2).GroupBy(t => t.Type)
            .Select(g => (Type: g.Key, Bytes: g.Sum(t => t.ByteSize))).OrderByDescending(x => x.Bytes).ToList();
        return byType.Count > 0 ? byType[0].Type.ToString() : "unknown";
    }

    private static string? FileTypeName(long ftype) => ftype switch
    {
        0 => "F32", 1 => "F16", 2 => "Q4_0", 3 => "Q4_1", 7 => "Q8_0", 8 => "Q5_0", 9 => "Q5_1",
        10 => "Q2_K", 11 => "Q3_K_S", 12 => "Q3_K_M", 13 => "Q3_K_L", 14 => "Q4_K_S", 15 => "Q4_K_M",
        16 => "Q5_K_S", 17 => "Q5_K_M", 18 => "Q6_K", 19 => "IQ2_XXS", 20 => "IQ2_XS", 21 => "Q2_K_S",
        22 => "IQ3_XS", 23 => "IQ3_XXS", 24 => "IQ1_S", 25 => "IQ4_NL", 26 => "IQ3_S", 27 => "IQ3_M",
        28 => "IQ2_S", 29 => "IQ2_M", 30 => "IQ4_XS", 31 => "IQ1_M", 32 => "BF16",
        _ => null,
    };
}
