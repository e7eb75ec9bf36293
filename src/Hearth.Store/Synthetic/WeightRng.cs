namespace Hearth.Store.Synthetic;

/// <summary>xoshiro256** seeded through splitmix64. Each (seed, tensor, row) gets its own stream, so rows can be
/// generated in parallel and the output does not depend on the thread count.</summary>
internal struct WeightRng
{
    private ulong _s0, _s1, _s2, _s3;

    public WeightRng(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
    }

    public static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A stable 64-bit hash of a string (FNV-1a), for per-tensor seeds.</summary>
    public static ulong Hash(string s)
    {
        ulong h = 0xCBF29CE484222325UL;
        foreach (char c in s) { h ^= c; h *= 0x100000001B3UL; }
        return h;
    }

    public ulong Next()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Fills with uniform values of mean 0 and standard deviation <paramref name="std"/> (range ±√3·std).</summary>
    public void FillUniform(Span<float> dst, float std)
    {
        float scale = std * MathF.Sqrt(3f) * 2f / (1 << 24);
        float offset = std * MathF.Sqrt(3f);
        for (int i = 0; i < dst.Length; i++)
            dst[i] = (Next() >> 40) * scale - offset;
    }
}
