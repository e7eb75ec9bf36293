using Hearth.Core.Tensors;
using Hearth.Cpu;

namespace Hearth.Cpu.Tests;

/// <summary>The encoder attention kernel (bidirectional, contiguous K/V of packed sequences) against the double-precision
/// oracle on every SIMD rung: head sizes on the register-tiled path (multiples of 8 and 16) and off it, sequences of
/// 1 token up to more than two query tiles, GQA, ALiBi; and against the paged kernel with block size 1 (what encoders
/// ran on before), which it must equal to float rounding.</summary>
public sealed class EncoderAttentionTests
{
    public static IEnumerable<object[]> Paths() => SimdPaths.All();

    [Theory]
    [MemberData(nameof(Paths))]
    public void MatchesTheOracle(int bits, bool vnni)
    {
        using var b = new CpuBackend(2, SimdPaths.Isa(bits, vnni));
        foreach (var (heads, kvHeads, hd) in new[] { (4, 4, 16), (2, 2, 8), (3, 3, 24), (2, 1, 32), (2, 2, 64), (2, 2, 12), (1, 1, 5) })
            foreach (bool alibi in new[] { false, true })
                Check(b, heads, kvHeads, hd, [1, 3, 17, 64, 65, 130], alibi, seed: heads * 100 + hd);
    }

    [Fact]
    public void EqualsThePagedKernelWithBlockSizeOne()
    {
        using var b = new CpuBackend(2);
        int heads = 12, hd = 32, width = heads * hd;
        int[] lengths = [128, 7, 96, 128];
        int t = lengths.Sum();
        var r = new Random(5);
        using var q = TestData.Tensor(TestData.Floats(r, t * width), t, width);
        using var k = TestData.Tensor(TestData.Floats(r, t * width), t, width);
        using var v = TestData.Tensor(TestData.Floats(r, t * width), t, width);
        using var encoder = new CpuTensor(t, width);
        using var paged = new CpuTensor(t, width);
        var a = new AttentionParameters(heads, heads, hd, 1 / MathF.Sqrt(hd), BlockSize: 1,
            AlibiSlopes: AttentionParameters.AlibiSlopesFor(heads, 8));
        b.EncoderAttention(q, k, v, encoder, a, lengths);
        var (extent, sequence, tables, queries) = Addressing(lengths);
        b.PagedAttention(q, k, v, paged, a with { Batch = new AttentionBatch(extent, sequence, tables, queries) }, t);
        var x = TestData.Read(encoder, t);
        var y = TestData.Read(paged, t);
        for (int i = 0; i < x.Length; i++) Assert.True(Math.Abs(x[i] - y[i]) <= 2e-6f, $"element {i}: {x[i]} vs {y[i]}");
    }

    [Fact]
    public void RefusesCausalOnlyFeaturesAndLengthsBeyondTheRows()
    {
        using var b = new CpuBackend(1);
        using var x = new CpuTensor(4, 8);
        var a = new AttentionParameters(1, 1, 8, 1, BlockSize: 1);
        Assert.Throws<ArgumentException>(() => b.EncoderAttention(x, x, x, x, a with { SlidingWindow = 2 }, [4]));
        Assert.Throws<ArgumentException>(() => b.EncoderAttention(x, x, x, x, a, [3, 2]));
        Assert.Throws<ArgumentException>(() => b.EncoderAttention(x, x, x, x, a, [0, 2]));
    }

    private static void Check(CpuBackend b, int heads, int kvHeads, int hd, int[] lengths, bool alibi, int seed)
    {
        var r = new Random(seed);
        int t = lengths.Sum(), qWidth = heads * hd, kvWidth = kvHeads * hd;
        var qData = TestData.Floats(r, t * qWidth, 2f);
        var kData = TestData.Floats(r, t * kvWidth, 2f);
        var vData = TestData.Floats(r, t * kvWidth);
        using var q = TestData.Tensor(qData, t, qWidth);
        using var k = TestData.Tensor(kData, t, kvWidth);
        using var v = TestData.Tensor(vData, t, kvWidth);
        using var o = new CpuTensor(t, qWidth);
        var slopes = alibi ? AttentionParameters.AlibiSlopesFor(heads, 8) : null;
        var a = new AttentionParameters(heads, kvHeads, hd, 1 / MathF.Sqrt(hd), BlockSize: 1, AlibiSlopes: slopes);
        b.EncoderAttention(q, k, v, o, a, lengths);

        var keys = new float[lengths.Length][];
        var values = new float[lengths.Length][];
        for (int s = 0, start = 0; s < lengths.Length; start += lengths[s], s++)
        {
            keys[s] = kData.AsSpan(start * kvWidth, lengths[s] * kvWidth).ToArray();
            values[s] = vData.AsSpan(start * kvWidth, lengths[s] * kvWidth).ToArray();
        }
        var (extent, sequence, _, queries) = Addressing(lengths);
        AttentionOracle.AssertMatches(TestData.Read(o, t), qData, keys, values, sequence, extent, queries,
            new AttentionOracle.Geometry(heads, kvHeads, hd, a.Scale, AlibiSlopes: slopes), 2e-5);
    }

    /// <summary>Per token: the sequence's last position (its extent), the sequence, block tables of its own rows, and
    /// its own position (the ALiBi query position).</summary>
    private static (int[] Extent, int[] Sequence, int[][] Tables, int[] Queries) Addressing(int[] lengths)
    {
        int t = lengths.Sum();
        var extent = new int[t]; var sequence = new int[t]; var queries = new int[t];
        var tables = new int[lengths.Length][];
        for (int s = 0, start = 0; s < lengths.Length; start += lengths[s], s++)
        {
            tables[s] = Enumerable.Range(start, lengths[s]).ToArray();
            for (int j = 0; j < lengths[s]; j++)
            {
                extent[start + j] = lengths[s] - 1;
                sequence[start + j] = s;
                queries[start + j] = j;
            }
        }
        return (extent, sequence, tables, queries);
    }
}
