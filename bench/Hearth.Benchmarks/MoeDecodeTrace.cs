using System.Diagnostics;
using Hearth.Core.Gguf;
using Hearth.Core.Quants;
using Hearth.Core.Tensors;
using Hearth.Cpu;

namespace Hearth.Benchmarks;

/// <summary>The expert FFN of one gpt-oss-20b layer at decode (T = 1; 2,880 wide, 4 of 32 MXFP4 experts with biases),
/// without loading the 12 GB model: "each" runs the experts one by one (3 matmuls, 2 bias adds each: what a backend
/// without <see cref="IGroupedMatMul"/> runs), "grouped" runs them as two grouped matmuls. Both modes alternate in
/// every round, so a busy machine slows both alike; the minimum and median over rounds are printed.
/// Run: dotnet run -c Release --project bench/Hearth.Benchmarks -- moe-decode [rounds] [threads]</summary>
internal static unsafe class MoeDecodeTrace
{
    private const int Width = 2880, Experts = 32, Used = 4, Layers = 24;

    public static void Run(string[] args)
    {
        int rounds = args.Length > 1 ? int.Parse(args[1]) : 20;
        int threads = args.Length > 2 ? int.Parse(args[2]) : 2;
        using var backend = new CpuBackend(threads);
        var (gate, up, down, bias, storage) = MakeExperts(backend);
        using var x = backend.Allocate(Used, Width);
        using var xs = backend.Allocate(Used, Width);
        using var g = backend.Allocate(Used, Width);
        using var u = backend.Allocate(Used, Width);
        using var y = backend.Allocate(Used, Width);
        using var residual = backend.Allocate(1, Width);
        var input = new float[Width];
        var r = new Random(3);
        for (int i = 0; i < Width; i++) input[i] = (float)(r.NextDouble() * 2 - 1);
        backend.Upload(input, x, 0);
        // The experts each "layer" picks (distinct, as top-k picks them), the same sequence for both modes.
        var picks = new int[Layers * Used];
        for (int l = 0; l < Layers; l++)
        {
            var chosen = Enumerable.Range(0, Experts).OrderBy(_ => r.Next()).Take(Used).Order().ToArray();
            chosen.CopyTo(picks, l * Used);
        }
        int[] zeros = new int[Used];
        float[] weights = [0.4f, 0.3f, 0.2f, 0.1f];
        var parts = new MatMulPart[2 * Used];

        void Each()
        {
            for (int l = 0; l < Layers; l++)
                for (int j = 0; j < Used; j++)
                {
                    int e = picks[l * Used + j];
                    backend.MatMul(x, gate[e], g, 1);
                    backend.MatMul(x, up[e], u, 1);
                    backend.AddBias(g, bias[e], 1);
                    backend.AddBias(u, bias[e], 1);
                    backend.SwiGluOai(g, u, g, 1, 1.702f, 7f);
                    backend.MatMul(g, down[e], y, 1);
                    backend.AddBias(y, bias[e], 1);
                    backend.AddScaledRows(y, zeros.AsSpan(0, 1), weights.AsSpan(j, 1), residual);
                }
        }

        void Grouped()
        {
            for (int l = 0; l < Layers; l++)
            {
                for (int j = 0; j < Used; j++)
                {
                    int e = picks[l * Used + j];
                    parts[2 * j] = new MatMulPart(xs, gate[e], g, j, 1, bias[e]);
                    parts[2 * j + 1] = new MatMulPart(xs, up[e], u, j, 1, bias[e]);
                }
                ((IGroupedMatMul)backend).MatMuls(parts);
                backend.SwiGluOai(g, u, g, Used, 1.702f, 7f);
                for (int j = 0; j < Used; j++) parts[j] = new MatMulPart(g, down[picks[l * Used + j]], y, j, 1, bias[picks[l * Used + j]]);
                ((IGroupedMatMul)backend).MatMuls(parts.AsSpan(0, Used));
                backend.AddScaledRows(y, zeros, weights, residual);
            }
        }
        backend.Upload([.. input, .. input, .. input, .. input], xs, 0); // the gathered rows of the 4 experts

        if (args.Length > 3) { Q8Decode(backend, int.Parse(args[3]), rounds); return; }
        double bytes = (double)Layers * Used * 3 * gate[0].RowBytes * gate[0].Rows;
        Console.WriteLine($"{backend.Name}; {Layers} layers × {Used} of {Experts} experts, 3 × {Width}² MXFP4: {bytes / 1e6:F0} MB of weights per token");
        var times = new Dictionary<string, List<double>> { ["each"] = [], ["grouped"] = [] };
        for (int round = 0; round < rounds + 2; round++)
            foreach (var (name, run) in new (string, Action)[] { ("each", Each), ("grouped", Grouped) })
            {
                long start = Stopwatch.GetTimestamp();
                run();
                double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (round >= 2) times[name].Add(ms); // two warm-up rounds (tiering)
            }
        foreach (var (name, list) in times)
        {
            list.Sort();
            double min = list[0], median = list[list.Count / 2];
            Console.WriteLine($"{name,-8} min {min,7:F2} ms  median {median,7:F2} ms per token ({bytes / 1e6 / min:F1} GB/s at the min)");
        }
        GC.KeepAlive(storage);
    }

    /// <summary>One Q8_0 matrix of <paramref name="rows"/> × 2,880 (DRAM-sized: the attention and output matrices'
    /// format) against one token: GB/s of the packed Q8_0 decode.</summary>
    private static void Q8Decode(CpuBackend backend, int rows, int rounds)
    {
        var r = new Random(2);
        long rowBytes = GgmlTypeInfo.RowBytes(GgmlType.Q8_0, Width);
        var data = GC.AllocateArray<byte>((int)(rowBytes * rows), pinned: true);
        var row = new float[Width];
        var one = new byte[rowBytes * 64];
        for (int n = 0; n < 64; n++)
        {
            for (int i = 0; i < Width; i++) row[i] = (float)(r.NextDouble() * 2 - 1);
            Quantizer.Quantize(GgmlType.Q8_0, row, one.AsSpan((int)(n * rowBytes), (int)rowBytes));
        }
        for (int n = 0; n < rows; n += 64) one.AsSpan(0, (int)(Math.Min(64, rows - n) * rowBytes)).CopyTo(data.AsSpan((int)(n * rowBytes)));
        Weight w;
        fixed (byte* p = data) w = backend.AdoptWeight(new Weight("q8", GgmlType.Q8_0, rows, Width, p));
        using var x = backend.Allocate(1, Width);
        using var y = backend.Allocate(1, rows);
        backend.Upload(row, x, 0);
        var times = new List<double>();
        for (int round = 0; round < rounds + 2; round++)
        {
            long start = Stopwatch.GetTimestamp();
            backend.MatMul(x, w, y, 1);
            if (round >= 2) times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        times.Sort();
        double bytes = (double)rows * rowBytes;
        Console.WriteLine($"Q8_0 {rows} × {Width} decode: min {times[0]:F2} ms ({bytes / 1e6 / times[0]:F1} GB/s), median {times[times.Count / 2]:F2} ms");
        GC.KeepAlive(data);
    }

    /// <summary>32 experts' gate, up and down (and one F32 bias each) adopted by the backend. One random matrix is quantized
    /// and its bytes copied to every expert: the values do not matter for speed, distinct memory does. With
    /// <paramref name="cached"/> every expert index names the same three matrices (13 MB, held in this machine's L3), so a
    /// trace measures the kernels' compute without the memory stream.</summary>
    internal static (Weight[] Gate, Weight[] Up, Weight[] Down, Weight[] Bias, byte[][] Storage) MakeExperts(CpuBackend backend, bool cached = false)
    {
        var r = new Random(1);
        long rowBytes = GgmlTypeInfo.RowBytes(GgmlType.MXFP4, Width);
        var one = new byte[rowBytes * Width];
        var row = new float[Width];
        for (int n = 0; n < Width; n++)
        {
            for (int i = 0; i < Width; i++) row[i] = (float)(r.NextDouble() * 2 - 1);
            Quantizer.Quantize(GgmlType.MXFP4, row, one.AsSpan((int)(n * rowBytes), (int)rowBytes));
        }
        var storage = new List<byte[]>();
        Weight Adopt()
        {
            var copy = GC.AllocateArray<byte>(one.Length, pinned: true);
            one.CopyTo(copy, 0);
            storage.Add(copy);
            fixed (byte* p = copy) return backend.AdoptWeight(new Weight("expert", GgmlType.MXFP4, Width, Width, p));
        }
        var biasBytes = GC.AllocateArray<byte>(Width * 4 * Experts, pinned: true);
        storage.Add(biasBytes);
        var gate = new Weight[Experts]; var up = new Weight[Experts]; var down = new Weight[Experts]; var bias = new Weight[Experts];
        for (int e = 0; e < Experts; e++)
        {
            if (cached && e > 0) (gate[e], up[e], down[e]) = (gate[0], up[0], down[0]);
            else (gate[e], up[e], down[e]) = (Adopt(), Adopt(), Adopt());
            fixed (byte* p = biasBytes) bias[e] = new Weight("bias", GgmlType.F32, 1, Width, p + e * Width * 4);
        }
        return (gate, up, down, bias, [.. storage]);
    }
}
