using Hearth.Core.Gguf;
using Hearth.Core.Quants;
using Hearth.Tests;

namespace Hearth.Core.Tests.Quants;

/// <summary>The quantized test files were made from the F16 file by llama-quantize (no importance matrix), which
/// runs ggml's reference quantizers: quantizing our dequantized F16 base must reproduce their bytes exactly.</summary>
public class RequantizeReferenceTests
{
    public static TheoryData<string> Variants => new() { "q8_0", "q4_0", "q4_k_m", "q6_k" };

    [SharedTheory]
    [MemberData(nameof(Variants))]
    public void QuantizingTheF16BaseReproducesLlamaQuantize(string variant)
    {
        using var f16 = GgufFile.Open(TestPaths.SharedFile("models", "synthetic-llama-quant-tiny-f16.gguf")!);
        using var quant = GgufFile.Open(TestPaths.SharedFile("models", $"synthetic-llama-quant-tiny-{variant}.gguf")!);
        int compared = 0;
        var mismatches = new List<string>();
        foreach (var q in quant.Tensors)
        {
            if (q.Type == GgmlType.F32) continue;
            float[] baseValues = Dequantizer.DequantizeTensor(f16, f16.GetTensor(q.Name));
            var bytes = new byte[q.ByteSize];
            Quantizer.Quantize(q.Type, baseValues, bytes);
            compared++;
            if (!bytes.AsSpan().SequenceEqual(quant.GetTensorBytes(q)))
                mismatches.Add($"{q.Name} ({q.Type})");
        }
        Assert.True(compared >= 16);
        Assert.True(mismatches.Count == 0, "re-quantized differently: " + string.Join(", ", mismatches));
    }
}
