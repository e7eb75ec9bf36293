using Hearth.Cpu.Emitted;

namespace Hearth.Benchmarks;

/// <summary>The emitted tiles alone (<see cref="EmittedKernels"/>), one thread, on one 2-group tile of a 2,880-wide
/// matrix that stays in L1, at 1..4 tokens: multiply-adds per second, the instruction cost with memory out of the
/// picture (compare moe-batch for the same kernels streaming a model's experts).
/// Run: dotnet run -c Release --project bench/Hearth.Benchmarks -- emitted-tiles</summary>
internal static unsafe class EmittedTileTrace
{
    private const int Blocks = 90; // 2,880 columns

    public static void Run()
    {
        if (!EmittedKernels.Vnni512Supported)
        {
            Console.WriteLine($"no emitted kernels here: {EmittedKernels.Unavailable}");
            return;
        }
        byte* q = TileRate.Alloc(2 * Blocks * 256);
        byte* scales = TileRate.Alloc(2 * Blocks * 32);
        sbyte* x = (sbyte*)TileRate.Alloc(4 * Blocks * 32);
        float* xd = (float*)TileRate.Alloc(4 * Blocks * 4);
        int* xc = (int*)TileRate.Alloc(4 * Blocks * 4);
        float* y = (float*)TileRate.Alloc(4 * 16 * 4);
        var r = new Random(1);
        for (int i = 0; i < 2 * Blocks * 256; i++) q[i] = (byte)r.Next(256);
        for (int i = 0; i < 2 * Blocks * 8; i++) scales[i] = 120;
        for (int i = 0; i < 4 * Blocks * 32; i++) x[i] = (sbyte)r.Next(-127, 128);
        for (int i = 0; i < 4 * Blocks; i++) { xd[i] = 0.02f; xc[i] = 0; }
        foreach (var format in new[] { EmittedFormat.Mxfp4Exponents, EmittedFormat.Q8_0 })
            for (int tokens = 1; tokens <= 4; tokens++)
            {
                int t = tokens;
                double rate = TileRate.Measure(t, Blocks, () => EmittedKernels.Tile(format, EmittedKernels.Vbmi, 2, t, q, scales, Blocks, x, xd, xc, y, 16, 16));
                Console.WriteLine($"{format} 2 groups × {t} tokens: {rate,6:F1} GMAC/s");
            }
    }
}
