using Hearth.Cpu;

namespace Hearth.Cpu.Tests;

/// <summary>The SIMD rungs this machine can run (512/256/128/scalar, and 256 without VNNI), for forcing each in turn.</summary>
public static class SimdPaths
{
    public static IEnumerable<object[]> All()
    {
        foreach (int bits in new[] { 512, 256, 128, 0 })
            if (bits <= CpuFeatures.DetectedBits)
            {
                yield return [bits, true];
                if (bits == 256) yield return [bits, false];
            }
    }

    /// <summary>Sets the path for the duration of a test; dispose restores the defaults.</summary>
    public static IDisposable Force(int bits, bool vnni)
    {
        CpuFeatures.MaxVectorBits = bits;
        CpuFeatures.AllowVnni = vnni;
        return new Restore();
    }

    private sealed class Restore : IDisposable
    {
        public void Dispose()
        {
            CpuFeatures.MaxVectorBits = 512;
            CpuFeatures.AllowVnni = true;
            CpuFeatures.EmulateVnni = false;
        }
    }
}

/// <summary>Kernel tests change the process-wide SIMD setting, so they never run in parallel with each other.</summary>
[CollectionDefinition("simd", DisableParallelization = true)]
public sealed class SimdCollection;
