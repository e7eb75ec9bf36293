namespace Hearth.Core.Tensors;

/// <summary>Element type of the paged KV cache (llama.cpp's --cache-type-k/v). F32 keeps attention exact; F16 halves
/// the memory; Q8_0 (32-element blocks: an F16 scale and 32 int8) takes 34/128 of F32, Q4_0 (F16 scale, 32 nibbles)
/// 18/128. The quantised types round each K and V row as it is written; attention dequantises as it reads.</summary>
public enum KvCacheType { F32, F16, Q8_0, Q4_0 }

/// <summary>Sizes and names of <see cref="KvCacheType"/>s.</summary>
public static class KvCacheTypes
{
    /// <summary>Elements per quantisation block (1 for the float types): a head's size must be a multiple of it.</summary>
    public static int BlockElements(KvCacheType type) => type is KvCacheType.Q8_0 or KvCacheType.Q4_0 ? 32 : 1;

    /// <summary>Bytes of one cache row of <paramref name="columns"/> elements.</summary>
    public static long RowBytes(KvCacheType type, long columns) => type switch
    {
        KvCacheType.F32 => columns * 4,
        KvCacheType.F16 => columns * 2,
        KvCacheType.Q8_0 => columns / 32 * 34,
        KvCacheType.Q4_0 => columns / 32 * 18,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>The name used on the command line and in llama.cpp (f32, f16, q8_0, q4_0).</summary>
    public static string Name(KvCacheType type) => type.ToString().ToLowerInvariant();

    /// <summary>Parses f32|f16|q8_0|q4_0 (any case).</summary>
    public static bool TryParse(string? text, out KvCacheType type)
    {
        foreach (var t in Enum.GetValues<KvCacheType>())
            if (string.Equals(text, Name(t), StringComparison.OrdinalIgnoreCase)) { type = t; return true; }
        type = default;
        return false;
    }
}
