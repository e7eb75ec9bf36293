using Hearth.Core.Gguf;
using Hearth.Engine.Models.Bert;
using Hearth.Store.Synthetic;

namespace Hearth.Gpu.Tests;

/// <summary>The newer architectures on the GPU backend against the CPU backend, on the tiny synthetic presets (written
/// here from the committed vocabularies): Gemma 2 (softcaps, sliding window, GeGLU, post-norms), Gemma 3 (sliding
/// window, Q/K norms, embedding scale), Phi-3 (fused QKV and gate-up slices, LongRoPE's attention factor), Qwen3-MoE
/// (per-expert slices, scatter-add), gpt-oss in MXFP4 (sinks, YaRN, the clamped SwiGLU, biased experts), through the
/// same prefill-then-decode check as the Llama family; and the encoders (BERT: layer norm and GELU; nomic-bert: rope,
/// SwiGLU; jina-bert-v2: ALiBi, GeGLU) whose pooled embeddings must agree.</summary>
[Collection("gpu")]
public sealed class ArchitectureForwardTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hearth-gpu-arch-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string preset, GgmlType quant)
    {
        string path = Path.Combine(_dir, $"{preset}-{quant}.gguf");
        SyntheticModel.Write(path, preset, quant, VocabLocator.Find(SyntheticPreset.Get(preset).DefaultVocab), seed: 1);
        return path;
    }

    [Theory]
    [InlineData("tiny-gemma2", GgmlType.F16, 2e-3)]
    [InlineData("tiny-gemma3", GgmlType.F16, 2e-3)]
    [InlineData("tiny-phi3", GgmlType.F16, 2e-3)]
    [InlineData("tiny-qwen3moe", GgmlType.F16, 2e-3)]
    [InlineData("tiny-gpt-oss", GgmlType.F16, 2e-3)]
    // Experts MXFP4, the rest Q8_0: the CPU quantizes activations to 8 bits for both, the GPU keeps them F32, and four
    // layers of 0.1-std weights amplify that to 2–5 % of the largest logit (the GPU with these weights dequantized to F32
    // on the host differs from the CPU just as much; MatMulTests holds the MXFP4 kernels to the exact dequantization).
    [InlineData("tiny-gpt-oss", GgmlType.MXFP4, 7e-2)]
    public void DecoderPresetMatchesTheCpu(string preset, GgmlType quant, double tolerance) =>
        ModelForwardTests.Check(Write(preset, quant), tolerance, strictGreedy: false);

    /// <summary>A LoRA adapter on every target of tiny-llama (its updates are scatter-added with AddScaledRows).</summary>
    [Fact]
    public void LoraAdapterOnTinyLlamaMatchesTheCpu()
    {
        string model = Write("tiny-llama", GgmlType.F16);
        string adapter = Path.Combine(_dir, "tiny-llama-lora.gguf");
        SyntheticLora.Write(adapter, model, new SyntheticLora.Options(8, 16, [.. SyntheticLora.Targets.Keys], GgmlType.F32, 3, BStd: 0.5f));
        ModelForwardTests.Check(model, 2e-3, strictGreedy: false, adapter);
    }

    [Theory]
    [InlineData("tiny-bert")]
    [InlineData("tiny-nomic-bert")]
    [InlineData("tiny-jina-bert-v2")]
    public void EncoderPresetMatchesTheCpu(string preset)
    {
        var twin = SharedTwins.NarrowWarps;
        using var gguf = GgufFile.Open(Write(preset, GgmlType.F16));
        using var cpu = BertModel.Load(gguf, twin.Cpu);
        using var gpu = BertModel.Load(gguf, twin.Gpu);
        int[] tokens = [101, 2023, 2003, 1037, 3231, 102, 101, 7592, 2088, 102, 101, 102];
        int[] lengths = [6, 4, 2];
        int width = cpu.Shape.OutputLength;
        var expected = new float[lengths.Length * width];
        var actual = new float[lengths.Length * width];
        cpu.Embed(tokens, lengths, expected);
        gpu.Embed(tokens, lengths, actual);
        Assert.Contains(expected, v => v != 0);
        Twin.AssertClose(expected, actual, 2e-3, preset);
    }
}
