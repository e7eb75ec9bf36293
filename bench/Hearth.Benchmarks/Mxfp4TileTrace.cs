using Hearth.Cpu.Packed;

namespace Hearth.Benchmarks;

/// <summary>The packed MXFP4 micro-kernels alone, one thread, on one 2-group tile of a 2,880-wide matrix that stays in L1:
/// the AVX2 kernel (<see cref="Mxfp4Decode"/>) against the generic tile it replaces without AVX-VNNI
/// (<see cref="PackedGemm"/> with the offset-128 table), at 1..4 tokens. Multiply-adds per second: the instruction
/// cost, with memory out of the picture (compare moe-batch for the kernel in the model's setting).
/// Run: dotnet run -c Release --project bench/Hearth.Benchmarks -- mxfp4-tiles</summary>
internal static unsafe class Mxfp4TileTrace
{
    private const int Blocks = 90; // 2,880 columns

    public static void Run()
    {
        if (!Mxfp4Decode.Serves)
        {
            Console.WriteLine("this machine has AVX-VNNI (or no AVX2): the generic tile serves MXFP4, nothing to compare");
            return;
        }
        byte* q = TileRate.Alloc(2 * Blocks * 128);
        byte* byteScales = TileRate.Alloc(2 * Blocks * 8);
        float* floatScales = (float*)TileRate.Alloc(2 * Blocks * 32);
        sbyte* x = (sbyte*)TileRate.Alloc(4 * Blocks * 32);
        float* xd = (float*)TileRate.Alloc(4 * Blocks * 4);
        int* xc = (int*)TileRate.Alloc(4 * Blocks * 4);
        float* y = (float*)TileRate.Alloc(4 * 16 * 4);
        var r = new Random(1);
        for (int i = 0; i < 2 * Blocks * 128; i++) q[i] = (byte)r.Next(256);
        for (int i = 0; i < 2 * Blocks * 8; i++) { byteScales[i] = 120; floatScales[i] = 0.01f; }
        for (int i = 0; i < 4 * Blocks * 32; i++) x[i] = (sbyte)r.Next(-127, 128);
        for (int i = 0; i < 4 * Blocks; i++) { xd[i] = 0.02f; xc[i] = 0; }
        for (int tokens = 1; tokens <= 4; tokens++)
        {
            int t = tokens;
            double generic = TileRate.Measure(t, Blocks, () => PackedGemm.Tile<NibbleTableFormat<Mxfp4Table, Offset128Dot>>(2, t, q, (byte*)floatScales, Blocks, x, xd, xc, y, 16, 16));
            double kernel = TileRate.Measure(t, Blocks, () => Mxfp4Decode.Tile(2, t, q, byteScales, Blocks, x, xd, xc, y, 16, 16));
            Console.WriteLine($"2 groups × {t} tokens: generic tile {generic,5:F1}, Mxfp4Decode {kernel,5:F1} GMAC/s ({kernel / generic:F2}×)");
        }
    }
}
