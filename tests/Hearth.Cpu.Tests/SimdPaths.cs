using Hearth.Cpu;

namespace Hearth.Cpu.Tests;

/// <summary>The SIMD rungs this machine can run (512/256/128/scalar, and 256 without VNNI). Each test hands its rung
/// to the backend it builds (<see cref="CpuIsa"/>), so kernel tests run in parallel.</summary>
public static class SimdPaths
{
    public static IEnumerable<object[]> All()
    {
        foreach (int bits in new[] { 512, 256, 128, 0 })
            if (bits <= CpuIsa.DetectedBits)
            {
                yield return [bits, true];
                if (bits == 256) yield return [bits, false];
            }
    }

    /// <summary>Every rung of <see cref="All"/> with every value: [bits, vnni, value] per case.</summary>
    public static IEnumerable<object[]> With<T>(IEnumerable<T> values)
    {
        foreach (var path in All())
            foreach (var value in values)
                yield return [path[0], path[1], value!];
    }

    /// <summary>The level of one rung (with <paramref name="vnni"/>, weights are packed on any AVX2 machine: the packed
    /// kernels run vpdpbusd or its AVX2 composition, so the packed layouts are tested everywhere).</summary>
    public static CpuIsa Isa(int bits, bool vnni) => new(bits, vnni);
}
