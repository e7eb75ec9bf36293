namespace Hearth.Engine;

/// <summary>The project's one random generator: xoshiro256** seeded through SplitMix64, fully specified so that its
/// streams never change with the .NET version. Each sequence owns one (a seeded request draws the same numbers
/// whatever else is in the batch); synthetic models draw their weights from one per (seed, tensor, row).</summary>
public sealed class Xoshiro256
{
    private ulong _s0, _s1, _s2, _s3;

    public Xoshiro256(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    /// <summary>The RNG of choice <paramref name="index"/> of a request seeded with <paramref name="seed"/>
    /// (choice 0 uses the seed itself, so n = 1 and choice 0 of n &gt; 1 agree).</summary>
    public static Xoshiro256 ForChoice(ulong? seed, int index)
    {
        ulong s = seed ?? (ulong)Random.Shared.NextInt64();
        return new Xoshiro256(index == 0 ? s : s ^ (0x9E3779B97F4A7C15UL * (ulong)index));
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
