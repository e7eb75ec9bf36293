using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Cpu;
using Hearth.Cpu.Kernels;

namespace Hearth.Cpu.Tests;

/// <summary>Tiled prompt attention (<see cref="PrefillAttentionKernel"/>): calls that hold prefill chunks give the same
/// outputs as the per-token kernels (the tiled path off) for the F32, F16, Q8_0 and Q4_0 caches, at every SIMD rung,
/// for GQA ratios 1, 4 and 8, head sizes 64, 128 and others, chunks of 1 to 300 tokens crossing tile and block
/// boundaries, with and without a prefix already in the cache, mixed with decode rows of other sequences, and with a
/// sliding window smaller than the chunk, softcapping, ALiBi and sinks.</summary>
public sealed class PrefillAttentionTests
{
    private const int BlockSize = 16;

    public static IEnumerable<object[]> Cases()
    {
        foreach (var path in SimdPaths.All())
            foreach (var type in new[] { KvCacheType.F32, KvCacheType.F16, KvCacheType.Q8_0, KvCacheType.Q4_0 })
            {
                // Odd head sizes: 40 (8 mod 16: the micro-kernel's 8-column tail) and 20 (scalar loops) where the type
                // allows any width; 96 (not a multiple of 64) for the 32-element blocks of Q8_0 and Q4_0.
                int[] odd = type is KvCacheType.F32 or KvCacheType.F16 ? [40, 20] : [96];
                var shapes = new[] { (4, 4, 64), (8, 2, 128), (16, 2, 64) }.Concat(odd.Select(h => (6, 2, h)));
                // Below AVX2 the tiled path runs its scalar loops for every shape: two shapes cover them.
                if ((int)path[0] < 256) shapes = [(4, 4, 64), (6, 2, odd[0])];
                foreach (var (heads, kvHeads, hd) in shapes)
                    yield return [path[0], path[1], type, heads, kvHeads, hd];
            }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TiledPromptsEqualPerTokenAttention(int bits, bool vnni, KvCacheType type, int heads, int kvHeads, int hd) =>
        Check(bits, vnni, type, heads, kvHeads, hd, window: 0, softcap: 0, sinks: false, alibi: false);

    [Theory]
    [MemberData(nameof(Cases))]
    public void WithWindowSoftcapSinksAndAlibi(int bits, bool vnni, KvCacheType type, int heads, int kvHeads, int hd) =>
        Check(bits, vnni, type, heads, kvHeads, hd, window: 50, softcap: 0.7f, sinks: true, alibi: true);

    [Fact]
    public void PlanTilesRunsOfConsecutivePositionsAndLeavesTheRestPerToken()
    {
        using var kernel = new PrefillAttentionKernel(2, CpuIsa.Detected);
        // Rows: sequence 0 at 10..29 (20 rows), sequence 1 decoding at 7, sequence 2 at 0..2 (3 rows: too short),
        // sequence 0 again at 40..44 (a new run: positions jump).
        int[] positions = [.. Enumerable.Range(10, 20), 7, 0, 1, 2, .. Enumerable.Range(40, 5)];
        int[] sequences = [.. Enumerable.Repeat(0, 20), 1, 2, 2, 2, .. Enumerable.Repeat(0, 5)];
        var a = new AttentionParameters(8, 2, 64, 1, BlockSize) { Batch = new AttentionBatch(positions, sequences, [[], [], []]) };
        kernel.Plan(a, positions.Length);
        Assert.True(kernel.Active);
        // Group of 4 heads: 16 tokens per block, so 20 rows are two blocks and 5 rows one; × 2 KV heads.
        Assert.Equal(6, kernel.Items);
        Assert.Equal([20, 21, 22, 23], kernel.Leftover.ToArray());
        // Decode rows only: nothing to tile.
        kernel.Plan(a, 0);
        Assert.False(kernel.Active);
        var decode = a with { Batch = new AttentionBatch([5, 9], [0, 1], [[], []]) };
        kernel.Plan(decode, 2);
        Assert.False(kernel.Active);
        Assert.Equal([0, 1], kernel.Leftover.ToArray());
    }

    /// <summary>Each call: sequence 0's chunk of <c>length</c> tokens after <c>prefix</c> cached positions, a decode
    /// row of sequence 1, and a 65-token chunk of sequence 2 after 37 cached positions.</summary>
    private static unsafe void Check(int bits, bool vnni, KvCacheType type, int heads, int kvHeads, int hd, int window, float softcap, bool sinks, bool alibi)
    {
        var isa = SimdPaths.Isa(bits, vnni);
        using var b = new CpuBackend(2, isa);
        using var pool = new CpuThreadPool(2);
        var r = new Random(41 + hd + heads);
        int width = kvHeads * hd;
        int[] lengths = [520, 400, 102];
        int blocks = lengths.Sum(l => (l + BlockSize - 1) / BlockSize);
        var order = Enumerable.Range(0, blocks).OrderBy(_ => r.Next()).ToArray();
        int b0 = (lengths[0] + BlockSize - 1) / BlockSize, b1 = (lengths[1] + BlockSize - 1) / BlockSize;
        int[][] tables = [order[..b0], order[b0..(b0 + b1)], order[(b0 + b1)..]];
        using var kc = b.AllocateKvCache(blocks * BlockSize, width, type);
        using var vc = b.AllocateKvCache(blocks * BlockSize, width, type);
        for (int s = 0; s < 3; s++)
        {
            using var kt = TestData.Tensor(TestData.Floats(r, lengths[s] * width), lengths[s], width);
            using var vt = TestData.Tensor(TestData.Floats(r, lengths[s] * width), lengths[s], width);
            var slots = Enumerable.Range(0, lengths[s]).Select(p => tables[s][p / BlockSize] * BlockSize + p % BlockSize).ToArray();
            b.WriteKv(kt, vt, kc, vc, slots, lengths[s]);
        }
        var sinkValues = Enumerable.Range(0, heads).Select(h => 0.3f * h + 1.5f).ToArray();
        var slopes = alibi ? AttentionParameters.AlibiSlopesFor(heads, 0.01f) : null;
        using var tiled = new Kernels(pool, isa, tiledPrompts: true);
        using var perToken = new Kernels(pool, isa, tiledPrompts: false);
        foreach (var (prefix, length) in new[] { (0, 300), (200, 1), (200, 4), (217, 17), (64, 65), (390, 130) })
        {
            int[] positions = [.. Enumerable.Range(prefix, length), 399, .. Enumerable.Range(37, 65)];
            int[] sequences = [.. Enumerable.Repeat(0, length), 1, .. Enumerable.Repeat(2, 65)];
            int rows = positions.Length;
            using var q = TestData.Tensor(TestData.Floats(r, rows * heads * hd, 3f), rows, heads * hd);
            fixed (float* sp = sinkValues)
            {
                var sinkWeight = sinks ? new Weight("sinks", GgmlType.F32, 1, heads, (byte*)sp) : null;
                var a = new AttentionParameters(heads, kvHeads, hd, 1 / MathF.Sqrt(hd), BlockSize, window, softcap, sinkWeight, slopes)
                    { Batch = new AttentionBatch(positions, sequences, tables, alibi ? [.. positions] : null) };
                var expected = perToken.Run(q, kc, vc, a, rows);
                var got = tiled.Run(q, kc, vc, a, rows);
                for (int i = 0; i < expected.Length; i++)
                    Assert.True(Math.Abs(got[i] - expected[i]) <= 2e-5 * Math.Max(Math.Abs(expected[i]), 0.1),
                        $"prefix {prefix} length {length}: row {i / (heads * hd)} column {i % (heads * hd)}: {got[i]} vs {expected[i]}");
            }
        }
    }

    /// <summary>The F32 and packed-cache kernels with the tiled path on or off.</summary>
    private sealed class Kernels(CpuThreadPool pool, CpuIsa isa, bool tiledPrompts) : IDisposable
    {
        private readonly PagedAttentionKernel _f32 = new(pool, isa, tiledPrompts);
        private readonly PackedKvAttentionKernel _packed = new(pool, isa, tiledPrompts);

        public float[] Run(CpuTensor q, Tensor k, Tensor v, AttentionParameters a, int rows)
        {
            using var o = new CpuTensor(rows, a.HeadCount * a.HeadDim);
            if (k is CpuKvTensor pk) _packed.Run(q, pk, (CpuKvTensor)v, o, a, rows);
            else _f32.Run(q, (CpuTensor)k, (CpuTensor)v, o, a, rows);
            return TestData.Read(o, rows);
        }

        public void Dispose()
        {
            _f32.Dispose();
            _packed.Dispose();
        }
    }
}
