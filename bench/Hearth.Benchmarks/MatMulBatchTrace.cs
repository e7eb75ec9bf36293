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
        int width = weights.Max(w => Math.Max(w.Rows, w.Columns));
        Console.WriteLine($"{backend.Name}; {weights.Count} matrices, {macs / 1e9:F2} G weights, {bytes / 1e9:F2} GB ({string.Join(", ", weights.Select(w => w.Type).Distinct())})");
        var r = new Random(5);
        var inputs = counts.ToDictionary(t => t, t =>
        {
            var x = backend.Allocate(t, width);
            backend.Upload(Enumerable.Range(0, t * width).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray(), x, 0);
            return x;
        });
        var outputs = counts.ToDictionary(t => t, t => backend.Allocate(t, width));
        // Slices of the right widths per token count (a matrix takes its own number of columns).
        var xs = new Dictionary<(int, int), Tensor>();
        Tensor Slice(Dictionary<int, Tensor> from, int t, int columns)
        {
            if (!xs.TryGetValue((t, columns + (from == outputs ? 1 << 30 : 0)), out var s))
            {
                var values = new float[t * width];
                backend.Download(from[t], 0, t, values);
                s = backend.Allocate(t, columns);
                var cut = new float[t * columns];
                for (int i = 0; i < t; i++) Array.Copy(values, i * width, cut, i * columns, columns);
                backend.Upload(cut, s, 0);
                xs[(t, columns + (from == outputs ? 1 << 30 : 0))] = s;
            }
            return s;
        }
        double Step(int t)
        {
            long start = Stopwatch.GetTimestamp();
            foreach (var w in weights) backend.MatMul(Slice(inputs, t, w.Columns), w, Slice(outputs, t, w.Rows), t);
            return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        foreach (int t in counts) Step(t);
        // Per weight type at each token count: where the step's time goes.
        foreach (var type in weights.Select(w => w.Type).Distinct())
        {
            var ofType = weights.Where(w => w.Type == type).ToList();
            long typeBytes = ofType.Sum(w => w.RowBytes * w.Rows), typeMacs = ofType.Sum(w => (long)w.Rows * w.Columns);
            Console.WriteLine($"  {type}: {ofType.Count} matrices, {typeBytes / 1e9:F3} GB: " + string.Join(", ", counts.Select(t =>
            {
                double best = double.MaxValue;
                for (int i = 0; i < 3; i++)
                {
                    long start = Stopwatch.GetTimestamp();
                    foreach (var w in ofType) backend.MatMul(Slice(inputs, t, w.Columns), w, Slice(outputs, t, w.Rows), t);
                    best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
                return $"{t} tokens {best:F1} ms ({typeMacs * (double)t / best / 1e6:F0} GMAC/s, {typeBytes / best / 1e6:F1} GB/s)";
            })));
        }
        for (int round = 0; round < rounds; round++)
            Console.WriteLine($"round {round + 1}: " + string.Join(", ", counts.Select(t =>
            {
                double ms = Step(t);
                return $"{t} tokens {ms:F1} ms ({macs * (double)t / ms / 1e6:F0} GMAC/s, {bytes / ms / 1e6:F1} GB/s)";
            })));
    }
}
