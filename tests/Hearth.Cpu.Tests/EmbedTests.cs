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

    /// <summary>The packed layouts that keep the file's bytes give every row back byte for byte (13 rows: a partial
    /// last group), and lookups on such a weight read the packed copy: they still answer after the source bytes are
    /// wiped, as they must once the mapping's pages are released.</summary>
    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q5_K)]
    [InlineData(GgmlType.Q6_K)]
    public unsafe void PackedRowsRestoreTheFileBytesAndServeLookups(GgmlType type)
    {
        const int rows = 13, k = 512;
        var (table, storage) = TestData.MakeWeight(new Random(11 + (int)type), type, rows, k);
        var original = storage.ToArray();
        var packed = Hearth.Cpu.Packed.PackedWeight.TryPack(table, CpuIsa.Detected)
            ?? throw new InvalidOperationException($"no packed layout for {type} on this machine");
        try
        {
            Assert.True(packed.RestoresRows);
            long rowBytes = GgmlTypeInfo.RowBytes(type, k);
            var restored = new byte[rowBytes];
            for (int row = 0; row < rows; row++)
            {
                fixed (byte* p = restored) packed.RestoreRow(row, p);
                Assert.Equal(original.AsSpan((int)(row * rowBytes), (int)rowBytes).ToArray(), restored);
            }

            Array.Clear(storage);
            using var backend = new CpuBackend(1);
            int[] ids = [12, 0, 7];
            using var y = new CpuTensor(ids.Length, k);
            backend.Embed(packed, ids, y);
            var got = TestData.Read(y, ids.Length);
            var expected = new float[k];
            for (int i = 0; i < ids.Length; i++)
            {
                Dequantizer.Dequantize(type, original.AsSpan((int)(ids[i] * rowBytes), (int)rowBytes), expected);
                Assert.Equal(expected, got.AsSpan(i * k, k).ToArray());
            }
        }
        finally
        {
            packed.Dispose();
            GC.KeepAlive(storage);
        }
    }
}
