using System.Diagnostics;
using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Cpu;
using Hearth.Cpu.Packed;

namespace Hearth.Benchmarks;

/// <summary>An F16 or BF16 model's matrices as plain copies of the file's rows, grouped copies (<see cref="GroupedHalfWeight"/>)
/// and, for BF16, compact ones (<see cref="CompactBF16Weight"/>): the bytes each holds, the blocks kept whole, and one
/// decode step's matrix-vector products over all of them (one token, as decode runs them), alternating the forms round
/// by round (the machine's bandwidth drifts).
/// Run: dotnet run -c Release --project bench/Hearth.Benchmarks -- half-decode FILE.gguf [rounds] [threads]</summary>
internal static unsafe class HalfDecodeTrace
{
    public static void Run(string[] args)
    {
        string path = args[1];
        int rounds = args.Length > 2 ? int.Parse(args[2]) : 5;
        int threads = args.Length > 3 ? int.Parse(args[3]) : 2;
        using var file = GgufFile.Open(path);
        using var backend = new CpuBackend(threads);
        // The F32 kernels, where the default backend runs BF16 on the emitted vdpbf16ps tile (CpuIsa.UseEmittedBF16).
        using var f32 = new CpuBackend(threads, new CpuIsa(512, allowVnni: false));
        var plain = new List<Weight>();
        var grouped = new List<Weight>();
        var compact = new List<Weight>();
        var compactFloat = new List<Weight>(); // ordered for the F32 kernels, where the default backend runs the BF16 tile
        bool bf16Tile = backend.Name != f32.Name;
        long plainBytes = 0, compactBytes = 0, exceptions = 0, blocks = 0;
        foreach (var info in file.Tensors.Where(t => t.Type is GgmlType.BF16 or GgmlType.F16 && t.RowCount > 1))
        {
            var mapped = Weight.FromGguf(file, info);
            grouped.Add(GroupedHalfWeight.Group(mapped));
            if (info.Type != GgmlType.BF16) { plain.Add(CopiedWeight.Copy(mapped)); plainBytes += mapped.RowBytes * mapped.Rows; continue; }
            var c = CompactBF16Weight.Compact(mapped, wordOrder: bf16Tile);
            if (bf16Tile) compactFloat.Add(CompactBF16Weight.Compact(mapped));
            long n = (long)c.Rows * c.Blocks;
            for (long b = 0; b < n; b++) if (c.Headers[b] == CompactBF16Weight.Exception) exceptions++;
            blocks += n;
            compact.Add(c);
            plain.Add(CopiedWeight.Copy(mapped));
            plainBytes += mapped.RowBytes * mapped.Rows;
            compactBytes += c.CompactBytes;
        }
        Console.WriteLine($"{plain.Count} F16/BF16 matrices: {plainBytes / 1e9:F3} GB plain, {compactBytes / 1e9:F3} GB compact ({100.0 * compactBytes / plainBytes:F1} %), {exceptions} of {blocks} blocks kept whole");
        int width = plain.Max(w => Math.Max(w.Rows, w.Columns));
        using var x = backend.Allocate(1, width);
        using var y = backend.Allocate(1, width);
        var r = new Random(5);
        backend.Upload(Enumerable.Range(0, width).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray(), x, 0);
        double Step(List<Weight> ws, CpuBackend on)
        {
            long start = Stopwatch.GetTimestamp();
            foreach (var w in ws) on.MatMul(Slice(on, x, w.Columns), w, Slice(on, y, w.Rows), 1);
            return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Step(plain, backend); Step(grouped, backend); Step(compact, backend); Step(compactFloat, f32);
        for (int round = 0; round < rounds; round++)
        {
            double p = Step(plain, backend), g = Step(grouped, backend), c = compact.Count > 0 ? Step(compact, backend) : double.NaN;
            double cf = bf16Tile && compact.Count > 0 ? Step(compactFloat, f32) : double.NaN;
            Console.WriteLine($"round {round + 1}: plain {p:F1} ms ({plainBytes / 1e6 / p:F1} GB/s), grouped {g:F1} ms ({plainBytes / 1e6 / g:F1} GB/s) {p / g:F2}×, compact {c:F1} ms ({plainBytes / 1e6 / c:F1} GB/s of the file's bytes) {p / c:F2}×"
                + (bf16Tile ? $"; compact on the F32 kernels {cf:F1} ms" : ""));
        }
        // The kernels alone: one matrix's first 64 rows (256 KB plain, in L2), one thread's rate.
        var first = Weight.FromGguf(file, file.Tensors.First(t => t.Type is GgmlType.BF16 or GgmlType.F16 && t.RowCount > 64));
        var small = new Weight("l2", GgmlType.BF16, 64, first.Columns, first.Data);
        var smallPlain = CopiedWeight.Copy(small);
        Weight smallCompact = small.Type == GgmlType.BF16 ? CompactBF16Weight.Compact(small, wordOrder: bf16Tile) : GroupedHalfWeight.Group(small);
        using var one = new CpuBackend(1);
        double Rate(Weight w)
        {
            var xs = Slice(one, x, w.Columns);
            var ys = one.Allocate(1, 64);
            for (int i = 0; i < 200; i++) one.MatMul(xs, w, ys, 1);
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < 4000; i++) one.MatMul(xs, w, ys, 1);
            return 4000.0 * 64 * w.Columns / Stopwatch.GetElapsedTime(start).TotalSeconds / 1e9;
        }
        for (int round = 0; round < 3; round++)
            Console.WriteLine($"in L2, one thread: plain {Rate(smallPlain):F2} G weights/s, compact {Rate(smallCompact):F2}");
        foreach (var w in plain.Concat(grouped).Concat(compact).Concat(compactFloat)) ((IDisposable)w).Dispose();
    }

    private static readonly Dictionary<(Tensor, int), Tensor> Slices = [];

    private static Tensor Slice(CpuBackend backend, Tensor x, int columns)
    {
        if (!Slices.TryGetValue((x, columns), out var t))
        {
            var values = new float[x.Columns];
            backend.Download(x, 0, 1, values);
            t = backend.Allocate(1, columns);
            backend.Upload(values.AsSpan(0, columns), t, 0);
            Slices[(x, columns)] = t;
        }
        return t;
    }
}
