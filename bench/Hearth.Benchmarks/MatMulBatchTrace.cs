using System.Diagnostics;
using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Cpu;

namespace Hearth.Benchmarks;

/// <summary>A model's matrices (every 2-D weight of the GGUF, as the backend adopts them) multiplied by batches of
/// 1, 4, 16 and 64 tokens, as one decode step of that many sequences runs them (attention and the rest left out):
/// ms per step, GMAC/s and the GB/s of the weights, the token counts alternated round by round (the machine's
/// bandwidth drifts). Shows where batched decode stops being memory-bound.
/// Run: dotnet run -c Release --project bench/Hearth.Benchmarks -- matmul-batch FILE.gguf [rounds] [threads] [1,4,16,64]</summary>
internal static class MatMulBatchTrace
{
    public static void Run(string[] args)
    {
        string path = args[1];
        int rounds = args.Length > 2 ? int.Parse(args[2]) : 3;
        int threads = args.Length > 3 ? int.Parse(args[3]) : 2;
        int[] counts = args.Length > 4 ? [.. args[4].Split(',').Select(int.Parse)] : [1, 4, 16, 64];
        using var file = GgufFile.Open(path);
        using var backend = new CpuBackend(threads);
        var weights = file.Tensors.Where(t => t.RowCount > 1).Select(t => backend.AdoptWeight(Weight.FromGguf(file, t))).ToList();
        long macs = weights.Sum(w => (long)w.Rows * w.Columns), bytes = weights.Sum(w => w.RowBytes * w.Rows);
        Console.WriteLine($"{backend.Name}; {weights.Count} matrices, {macs / 1e9:F2} G weights, {bytes / 1e9:F2} GB ({string.Join(", ", weights.Select(w => w.Type).Distinct())})");
        var r = new Random(5);
        // Per token count and width: activations (random) and outputs (any contents), a matrix taking its own widths.
        var inputs = new Dictionary<(int, int), Tensor>();
        var outputs = new Dictionary<(int, int), Tensor>();
        Tensor Input(int t, int columns)
        {
            if (!inputs.TryGetValue((t, columns), out var x))
            {
                inputs[(t, columns)] = x = backend.Allocate(t, columns);
                backend.Upload(Enumerable.Range(0, t * columns).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray(), x, 0);
            }
            return x;
        }
        Tensor Output(int t, int rows) => outputs.TryGetValue((t, rows), out var y) ? y : outputs[(t, rows)] = backend.Allocate(t, rows);
        double Step(IEnumerable<Weight> ws, int t)
        {
            long start = Stopwatch.GetTimestamp();
            foreach (var w in ws) backend.MatMul(Input(t, w.Columns), w, Output(t, w.Rows), t);
            return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        static string Rate(int t, double ms, long macs, long bytes) => $"{t} tokens {ms:F1} ms ({macs * (double)t / ms / 1e6:F0} GMAC/s, {bytes / ms / 1e6:F1} GB/s)";
        foreach (int t in counts) Step(weights, t);
        // Per weight type at each token count (best of three): where the step's time goes.
        foreach (var type in weights.Select(w => w.Type).Distinct())
        {
            var ofType = weights.Where(w => w.Type == type).ToList();
            long typeBytes = ofType.Sum(w => w.RowBytes * w.Rows), typeMacs = ofType.Sum(w => (long)w.Rows * w.Columns);
            Console.WriteLine($"  {type}: {ofType.Count} matrices, {typeBytes / 1e9:F3} GB: "
                + string.Join(", ", counts.Select(t => Rate(t, Enumerable.Range(0, 3).Min(_ => Step(ofType, t)), typeMacs, typeBytes))));
        }
        for (int round = 0; round < rounds; round++)
            Console.WriteLine($"round {round + 1}: " + string.Join(", ", counts.Select(t => Rate(t, Step(weights, t), macs, bytes))));
    }
}
