using Hearth.Core.Gguf;
using Hearth.Core.Tensors;

namespace Hearth.Cpu.Tests;

/// <summary><see cref="IGroupedMatMul.MatMuls"/> gives, bit for bit, what <see cref="CpuBackend.MatMul"/> and
/// <see cref="CpuBackend.AddBias"/> give for each part alone: packed formats (run together) and unpacked ones (run one
/// by one), parts that share activation rows (quantized once), row ranges inside larger tensors, empty parts, on every
/// SIMD rung, both on the calling thread (small groups) and across the pool.</summary>
public sealed class GroupedMatMulTests
{
    private static readonly GgmlType[] Types = [GgmlType.MXFP4, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.IQ4_NL, GgmlType.F16, GgmlType.F32];

    public static IEnumerable<object[]> Cases() => SimdPaths.With(Types);

    [Theory]
    [MemberData(nameof(Cases))]
    public unsafe void EachPartEqualsItsOwnMatMul(int bits, bool vnni, GgmlType type)
    {
        var r = new Random(77 + (int)type);
        using var backend = new CpuBackend(2, SimdPaths.Isa(bits, vnni));
        // Small: on the calling thread. Large: over 2^20 multiply-adds and 16k activation elements to quantize, through the pool (both phases).
        foreach (var (n, k, rows) in new[] { (40, 256, 11), (13, 256, 5), (264, 768, 9) })
        {
            var keep = new List<byte[]>();
            Weight Make(int rowsOfW)
            {
                var (plain, storage) = TestData.MakeWeight(r, type, rowsOfW, k);
                keep.Add(storage);
                return backend.AdoptWeight(plain);
            }
            Weight Bias()
            {
                var (bias, storage) = TestData.MakeWeight(r, GgmlType.F32, 1, n);
                keep.Add(storage);
                return bias;
            }
            Weight w1 = Make(n), w2 = Make(n), w3 = Make(n), w4 = Make(n);
            using var x = TestData.Tensor(TestData.Floats(r, rows * k, 3f), rows, k);
            using var x2 = TestData.Tensor(TestData.Floats(r, rows * k, 3f), rows, k);
            using var y1 = new CpuTensor(rows, n);
            using var y2 = new CpuTensor(rows, n);
            using var y3 = new CpuTensor(rows, n);
            int split = rows / 2;
            MatMulPart[] parts =
            [
                new(x, w1, y1, 0, split, Bias()),          // shares x[0, split) with the next part
                new(x, w2, y2, 0, split),
                new(x, w3, y1, split, rows - split, Bias()), // the rest of y1, other rows of x
                new(x2, w4, y3, 0, rows),
                new(x2, w1, y2, split, rows - split),        // rows of x2 another part also reads, in a range of its own
                new(x, w2, y3, 0, 0),                        // empty
            ];
            ((IGroupedMatMul)backend).MatMuls(parts);

            foreach (var p in parts)
            {
                if (p.Rows == 0) continue;
                using var xs = new CpuTensor(p.Rows, k);
                using var ys = new CpuTensor(p.Rows, n);
                new Span<float>(((CpuTensor)p.X).Row(p.FirstRow), p.Rows * k).CopyTo(new Span<float>(xs.Data, p.Rows * k));
                backend.MatMul(xs, p.Weight, ys, p.Rows);
                if (p.Bias != null) backend.AddBias(ys, p.Bias, p.Rows);
                var got = new Span<float>(((CpuTensor)p.Y).Row(p.FirstRow), p.Rows * n).ToArray();
                Assert.Equal(TestData.Read(ys, p.Rows), got);
            }
            GC.KeepAlive(keep);
        }
    }

    [Fact]
    public void BadPartsAreRefused()
    {
        var r = new Random(5);
        using var backend = new CpuBackend(1);
        var (w, storage) = TestData.MakeWeight(r, GgmlType.Q8_0, 8, 64);
        using var x = new CpuTensor(4, 64);
        using var y = new CpuTensor(4, 8);
        using var wide = new CpuTensor(4, 9);
        var g = (IGroupedMatMul)backend;
        Assert.Throws<ArgumentOutOfRangeException>(() => g.MatMuls([new MatMulPart(x, w, y, 2, 3)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => g.MatMuls([new MatMulPart(x, w, y, -1, 1)]));
        Assert.Throws<ArgumentException>(() => g.MatMuls([new MatMulPart(x, w, wide, 0, 1)]));
        var (bias, biasStorage) = TestData.MakeWeight(r, GgmlType.F32, 1, 9);
        Assert.Throws<ArgumentException>(() => g.MatMuls([new MatMulPart(x, w, y, 0, 1, bias)]));
        GC.KeepAlive(storage);
        GC.KeepAlive(biasStorage);
    }
}
