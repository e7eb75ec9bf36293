using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Hearth.Benchmarks;

/// <summary>What the tile benchmarks (<see cref="Mxfp4TileTrace"/>, <see cref="EmittedTileTrace"/>) share: the
/// multiply-add rate of one 2-group tile and aligned buffers for its operands.</summary>
internal static unsafe class TileRate
{
    /// <summary>GMAC/s of a 2-group (16-row) × <paramref name="tokens"/> tile over <paramref name="blocks"/> 32-column
    /// blocks, the best of 3 timed runs after a warm-up.</summary>
    public static double Measure(int tokens, int blocks, Action tile)
    {
        long iters = 100_000 / tokens;
        double best = 0;
        for (int run = 0; run < 4; run++)
        {
            long start = Stopwatch.GetTimestamp();
            for (long i = 0; i < iters; i++) tile();
            double rate = iters * 2.0 * 8 * blocks * 32 * tokens / Stopwatch.GetElapsedTime(start).TotalSeconds / 1e9;
            if (run > 0) best = Math.Max(best, rate);
        }
        return best;
    }

    /// <summary>A 64-byte aligned buffer, never freed (the benchmark's lifetime).</summary>
    public static byte* Alloc(int bytes) => (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
}
