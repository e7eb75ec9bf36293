using Hearth.Engine;

namespace Hearth.Store.Synthetic;

/// <summary>Random weight values of synthetic models. Each (seed, tensor, row) gets its own <see cref="Xoshiro256"/>
/// stream, so rows can be generated in parallel and the output does not depend on the thread count.</summary>
internal static class SyntheticWeights
{
    /// <summary>A stable 64-bit hash of a string (FNV-1a), for per-tensor seeds.</summary>
    public static ulong Hash(string s)
    {
        ulong h = 0xCBF29CE484222325UL;
        foreach (char c in s) { h ^= c; h *= 0x100000001B3UL; }
        return h;
    }

    /// <summary>Fills with uniform values of mean 0 and standard deviation <paramref name="std"/> (range ±√3·std)
    /// from the top 24 bits of each draw.</summary>
    public static void FillUniform(Xoshiro256 rng, Span<float> dst, float std)
    {
        float scale = std * MathF.Sqrt(3f) * 2f / (1 << 24);
        float offset = std * MathF.Sqrt(3f);
        for (int i = 0; i < dst.Length; i++)
            dst[i] = (rng.NextUInt64() >> 40) * scale - offset;
    }
}
