using Hearth.Core.Gguf;
using Hearth.Core.Quants;

namespace Hearth.Core.Tests.Gguf;

public class GgufWriterTests
{
    [Fact]
    public void EveryValueTypeRoundTrips()
    {
        using var dir = new TempDir();
        var w = new GgufWriter();
        GgufTestFiles.AddAllValueTypes(w);
        w.Write(dir.File("m.gguf"));
        using var f = GgufFile.Open(dir.File("m.gguf"));
        Assert.Equal(3u, f.Version);
        Assert.Equal(w.Metadata.Count, f.Metadata.Count);
        foreach (var (key, expected) in w.Metadata)
        {
            var actual = f.Metadata[key];
            Assert.Equal(expected.Type, actual.Type);
            if (expected.IsArray)
            {
                Assert.Equal(expected.ElementType, actual.ElementType);
                Assert.Equal(((Array)expected.Value).Cast<object>(), ((Array)actual.Value).Cast<object>());
            }
            else
            {
                Assert.Equal(expected.Value, actual.Value);
            }
        }
        Assert.Equal("héllo ✓ 日本", f.GetString("str"));
        Assert.Equal(new[] { "a", "", "<|end|>", "▁x" }, f.GetArray<string>("arr.str"));
        Assert.Empty(f.Tensors);
    }

    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.BF16)]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q4_1)]
    [InlineData(GgmlType.Q5_0)]
    [InlineData(GgmlType.Q5_1)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q2_K)]
    [InlineData(GgmlType.Q3_K)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q5_K)]
    [InlineData(GgmlType.Q6_K)]
    [InlineData(GgmlType.Q8_K)]
    public void EveryTensorTypeRoundTripsWithAlignment(GgmlType type)
    {
        using var dir = new TempDir();
        foreach (int alignment in new[] { 32, 64 })
        {
            var w = new GgufWriter(alignment);
            var rng = new Random(3);
            var payloads = new List<(string, long[], byte[])>();
            for (int i = 0; i < 3; i++)
            {
                GgmlTypeInfo.TryGetBlock(type, out int be, out _);
                long[] dims = [be * (i + 1), i + 1];
                var bytes = new byte[GgmlTypeInfo.RowBytes(type, dims[0]) * dims[1]];
                rng.NextBytes(bytes);
                payloads.Add(($"t{i}", dims, bytes));
                w.AddTensor($"t{i}", type, dims, bytes);
            }
            string path = dir.File($"{type}-{alignment}.gguf");
            w.Write(path);
            using var f = GgufFile.Open(path);
            Assert.Equal(alignment, f.Alignment);
            Assert.Equal(0, f.DataOffset % alignment);
            Assert.Equal(3, f.Tensors.Count);
            foreach (var (name, dims, bytes) in payloads)
            {
                var t = f.GetTensor(name);
                Assert.Equal(type, t.Type);
                Assert.Equal(dims, t.Dimensions);
                Assert.Equal(0, t.DataOffset % alignment);
                Assert.True(bytes.AsSpan().SequenceEqual(f.GetTensorBytes(t)));
            }
        }
    }

    [Fact]
    public void StreamingCallbackIsCheckedAndFailureLeavesNoFile()
    {
        using var dir = new TempDir();
        string path = dir.File("bad.gguf");
        var w = new GgufWriter();
        w.AddTensor("x", GgmlType.F32, [4], (s, n) => s.Write(new byte[n - 1]));
        var e = Assert.Throws<InvalidOperationException>(() => w.Write(path));
        Assert.Contains("wrote 15 bytes, expected 16", e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void StreamingCallbackWritesLargeTensorInChunks()
    {
        using var dir = new TempDir();
        string path = dir.File("big.gguf");
        var w = new GgufWriter();
        const int rows = 512, cols = 1024;
        w.AddTensor("big", GgmlType.F16, [cols, rows], (s, n) =>
        {
            var row = new float[cols];
            var buf = new byte[GgmlTypeInfo.RowBytes(GgmlType.F16, cols)];
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < cols; c++) row[c] = (r * 31 + c) % 17 - 8;
                Quantizer.Quantize(GgmlType.F16, row, buf);
                s.Write(buf);
            }
        });
        w.Write(path);
        using var f = GgufFile.Open(path);
        var values = Dequantizer.DequantizeTensor(f, f.GetTensor("big"));
        Assert.Equal((100 * 31 + 5) % 17 - 8, values[100 * cols + 5]);
    }

    [Fact]
    public void InvalidInputIsRejected()
    {
        var w = new GgufWriter();
        w.AddTensor("x", GgmlType.F32, [1], new byte[4]);
        Assert.Throws<ArgumentException>(() => w.AddTensor("x", GgmlType.F32, [1], new byte[4]));
        Assert.Throws<ArgumentException>(() => w.AddTensor("y", GgmlType.Q8_0, [31], new byte[34]));
        Assert.Throws<ArgumentException>(() => w.AddTensor("z", GgmlType.F32, [0], new byte[0]));
        Assert.Throws<ArgumentException>(() => new GgufWriter(48));
        Assert.Throws<ArgumentException>(() => w.SetArray("bad", new[] { DateTime.Now }));
    }

    [Fact]
    public void WriteReplacesExistingFileAtomically()
    {
        using var dir = new TempDir();
        string path = dir.File("m.gguf");
        File.WriteAllText(path, "old");
        new GgufWriter().SetString("k", "v").Write(path);
        using var f = GgufFile.Open(path);
        Assert.Equal("v", f.GetString("k"));
        Assert.Single(Directory.GetFiles(dir.Path));
    }
}
