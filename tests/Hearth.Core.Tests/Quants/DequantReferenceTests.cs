using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using Hearth.Core.Gguf;
using Hearth.Core.Quants;
using Hearth.Tests;

namespace Hearth.Core.Tests.Quants;

/// <summary>Every tensor of the quantization test set dequantizes bit-identically to ggml (sha256 of the float32 values).</summary>
public class DequantReferenceTests
{
    public static TheoryData<string> Variants => new() { "f16", "q8_0", "q4_0", "q4_k_m", "q6_k" };

    [SharedTheory]
    [MemberData(nameof(Variants))]
    public void EveryTensorMatchesGgmlDequantization(string variant)
    {
        string model = TestPaths.SharedFile("models", $"synthetic-llama-quant-tiny-{variant}.gguf")!;
        string reference = TestPaths.SharedFile("reference", "models", $"synthetic-llama-quant-tiny-{variant}.dequant.json")!;
        using var doc = JsonDocument.Parse(File.ReadAllText(reference));
        using var file = GgufFile.Open(model);
        var tensors = doc.RootElement.GetProperty("tensors");
        Assert.Equal(file.Tensors.Count, tensors.GetArrayLength());
        foreach (var t in tensors.EnumerateArray())
        {
            string name = t.GetProperty("name").GetString()!;
            var info = file.GetTensor(name);
            Assert.Equal(t.GetProperty("data_offset").GetInt64(), info.DataOffset);
            Assert.Equal(t.GetProperty("n_bytes").GetInt64(), info.ByteSize);
            Assert.Equal(t.GetProperty("type").GetString()!.ToUpperInvariant(), info.Type.ToString().ToUpperInvariant());
            float[] values = Dequantizer.DequantizeTensor(file, info);
            string sha = Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(values.AsSpan())));
            float[] first = t.GetProperty("first_32").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            float[] last = t.GetProperty("last_32").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            Assert.Equal(first, values[..32]);
            Assert.Equal(last, values[^32..]);
            Assert.True(t.GetProperty("dequant_f32_sha256").GetString() == sha, $"{variant} {name} ({info.Type}): sha256 differs");
            double sum = values.Sum(v => (double)v);
            Assert.Equal(t.GetProperty("sum").GetDouble(), sum, 1e-9 * Math.Max(1, Math.Abs(sum)));
        }
    }

    [Fact]
    public void EmbeddedModelLoadsAndDequantizes()
    {
        using var file = GgufFile.Open(TestPaths.EmbeddedModel);
        Assert.Equal(20, file.Tensors.Count);
        Assert.Equal(15, file.Tensors.Count(t => t.Type == GgmlType.Q8_0));
        foreach (var t in file.Tensors)
        {
            float[] values = Dequantizer.DequantizeTensor(file, t);
            Assert.All(values, v => Assert.True(float.IsFinite(v)));
            if (t.Type == GgmlType.Q8_0)
            {
                // Q8_0 round trip through our reference quantizer reproduces the file's bytes exactly:
                // every value is d·q with |q| ≤ 127 and the block maximum at ±127·d.
                var bytes = new byte[t.ByteSize];
                Quantizer.Quantize(GgmlType.Q8_0, values, bytes);
                Assert.True(bytes.AsSpan().SequenceEqual(file.GetTensorBytes(t)), $"{t.Name} re-quantizes differently");
            }
        }
        var embd = file.GetTensor("token_embd.weight");
        Assert.Equal(new long[] { 128, 2048 }, embd.Dimensions);
    }
}
