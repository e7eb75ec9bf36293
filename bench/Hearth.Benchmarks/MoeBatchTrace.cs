using System.Diagnostics;
using Hearth.Core.Tensors;
using Hearth.Cpu;

namespace Hearth.Benchmarks;

/// <summary>The expert FFN of gpt-oss-20b's 24 layers at batched decode (<c>streams</c> tokens, each routed to 4 of 32
/// MXFP4 experts at random, as a decode step of that many sequences): per layer one gather-ordered grouped gate + up and
/// one grouped down, as <c>ExpertRunner.RunGrouped</c> runs them. Prints ms per step and the GB/s of the expert bytes
/// the step touches, to compare with one token (<c>streams</c> = 1) and with the machine's bandwidth.
/// With <c>cached</c> every expert is the same three matrices (held in L3): the step's compute alone, the floor under
/// the memory-bound figure (Zen 4, 2 threads, 16 streams: 174–195 ms cached against 287–295 streamed at ~31 GB/s).
/// Run: dotnet run -c Release --project bench/Hearth.Benchmarks -- moe-batch [rounds] [threads] [streams] [cached]</summary>
internal static class MoeBatchTrace
{
    private const int Width = 2880, Experts = 32, Used = 4, Layers = 24;

    public static void Run(string[] args)
    {
        int rounds = args.Length > 1 ? int.Parse(args[1]) : 10;
        int threads = args.Length > 2 ? int.Parse(args[2]) : 2;
        int streams = args.Length > 3 ? int.Parse(args[3]) : 16;
        using var backend = new CpuBackend(threads);
        bool cached = args.Length > 4 && args[4] == "cached";
        var (gate, up, down, bias, storage) = MoeDecodeTrace.MakeExperts(backend, cached);
        int rows = streams * Used;
        using var xs = backend.Allocate(rows, Width);
        using var g = backend.Allocate(rows, Width);
        using var u = backend.Allocate(rows, Width);
        using var y = backend.Allocate(rows, Width);
        var r = new Random(3);
        var input = new float[rows * Width];
        for (int i = 0; i < input.Length; i++) input[i] = (float)(r.NextDouble() * 2 - 1);
        backend.Upload(input, xs, 0);
        // Per layer, how many of the step's (token, expert) rows each expert gets (the gathered rows sorted by expert).
        var counts = new int[Layers, Experts];
        long touched = 0;
        for (int l = 0; l < Layers; l++)
        {
            for (int t = 0; t < streams; t++)
                foreach (int e in Enumerable.Range(0, Experts).OrderBy(_ => r.Next()).Take(Used)) counts[l, e]++;
            for (int e = 0; e < Experts; e++) if (counts[l, e] > 0) touched++;
        }
        var parts = new List<MatMulPart>();
        void Step()
        {
            for (int l = 0; l < Layers; l++)
            {
                parts.Clear();
                for (int e = 0, row = 0; e < Experts; row += counts[l, e++])
                {
                    if (counts[l, e] == 0) continue;
                    parts.Add(new MatMulPart(xs, gate[e], g, row, counts[l, e], bias[e]));
                    parts.Add(new MatMulPart(xs, up[e], u, row, counts[l, e], bias[e]));
                }
                ((IGroupedMatMul)backend).MatMuls(parts.ToArray());
                backend.SwiGluOai(g, u, g, rows, 1.702f, 7f);
                parts.Clear();
                for (int e = 0, row = 0; e < Experts; row += counts[l, e++])
                    if (counts[l, e] > 0) parts.Add(new MatMulPart(g, down[e], y, row, counts[l, e], bias[e]));
                ((IGroupedMatMul)backend).MatMuls(parts.ToArray());
            }
        }
        double bytes = (double)touched * 3 * gate[0].RowBytes * gate[0].Rows;
        Console.WriteLine($"{backend.Name}; {streams} tokens × {Used} of {Experts} experts, {Layers} layers: {touched / (double)Layers:F1} experts per layer, {bytes / 1e9:F2} GB per step"
            + (cached ? " (cached: every expert the same 3 matrices, so the GB/s below are L3's)" : ""));
        var times = new List<double>();
        for (int round = 0; round < rounds + 2; round++)
        {
            long start = Stopwatch.GetTimestamp();
            Step();
            if (round >= 2) times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        times.Sort();
        Console.WriteLine($"step min {times[0]:F1} ms, median {times[times.Count / 2]:F1} ms ({bytes / 1e6 / times[0]:F1} GB/s at the min)");
        GC.KeepAlive(storage);
    }
}
