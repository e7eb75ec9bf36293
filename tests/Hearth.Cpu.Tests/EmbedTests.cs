using Hearth.Core.Gguf;
using Hearth.Core.Quants;

namespace Hearth.Cpu.Tests;

/// <summary>Embedding lookups dequantize table rows exactly as Core's dequantizer does, for every table type the
/// backend accepts, and reject ids outside the vocabulary.</summary>
public sealed class EmbedTests
{
    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.BF16)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q5_0)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q6_K)]
    public unsafe void RowsMatchCoreDequantizer(GgmlType type)
    {
        const int rows = 7, k = 512;
        var (table, storage) = TestData.MakeWeight(new Random(5 + (int)type), type, rows, k);
        using var backend = new CpuBackend(1);
        var adopted = backend.AdoptWeight(table); // lookups must keep working on the backend's own form too
        int[] ids = [6, 0, 3, 3];
        using var y = new CpuTensor(ids.Length, k);
        backend.Embed(adopted, ids, y);
        var got = TestData.Read(y, ids.Length);
        long rowBytes = GgmlTypeInfo.RowBytes(type, k);
        var expected = new float[k];
        for (int i = 0; i < ids.Length; i++)
        {
            Dequantizer.Dequantize(type, storage.AsSpan((int)(ids[i] * rowBytes), (int)rowBytes), expected);
            Assert.Equal(expected, got.AsSpan(i * k, k).ToArray());
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.Embed(adopted, [rows], y));
        GC.KeepAlive(storage);
    }
}
