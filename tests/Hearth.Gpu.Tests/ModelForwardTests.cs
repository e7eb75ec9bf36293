using Hearth.Core.Gguf;
using Hearth.Engine.Lora;
using Hearth.Engine.Models;
using Hearth.Tests;

namespace Hearth.Gpu.Tests;

/// <summary>The Llama-family model on the GPU backend (ILGPU's CPU accelerator) against the same model on the CPU backend:
/// (Q8_0 is covered by the real TinyStories file) a prompt prefilled in two chunks (the tiled prefill kernel, then a chunk over cached positions), then greedy decode
/// steps (the split decode kernel) fed with the CPU's choice. Logits agree within a tolerance and the greedy token is
/// the same at every step, except where the CPU's top two logits are closer than the tolerance can separate (random
/// weights make such ties; real models are checked strictly).</summary>
[Collection("gpu")]
public sealed class ModelForwardTests
{
    private const int BlockSize = 4, DecodeSteps = 4;

    [SharedTheory]
    [InlineData("stories260K-f32.gguf", 1e-3, true)]
    [InlineData("synthetic-llama3-tiny.gguf", 1e-3, false)]         // rope frequency factors, 128k vocabulary
    [InlineData("synthetic-qwen2-tiny.gguf", 1e-3, false)]          // QKV bias, NeoX rope
    [InlineData("synthetic-qwen3-tiny.gguf", 1e-3, false)]          // per-head Q/K norm, head size 32
    [InlineData("synthetic-mistral-tiny.gguf", 1e-3, false)]        // GQA 4
    [InlineData("synthetic-llama-quant-tiny-f16.gguf", 2e-3, false)]
    [InlineData("synthetic-llama-quant-tiny-q4_k_m.gguf", 3e-2, false)]
    public void SharedModelMatchesTheCpu(string file, double tolerance, bool strictGreedy) =>
        Check(TestPaths.SharedFile("models", file)!, tolerance, strictGreedy);

    [Fact]
    public void EmbeddedTinyStoriesMatchesTheCpu() => Check(TestPaths.EmbeddedModel, 2e-2, strictGreedy: true);

    /// <param name="adapter">A LoRA adapter file every step runs with (loaded on each backend), or null.</param>
    internal static void Check(string path, double tolerance, bool strictGreedy, string? adapter = null)
    {
        var twin = SharedTwins.NarrowWarps;
        using var gguf = GgufFile.Open(path);
        using var cpu = DecoderModel.Load(gguf, twin.Cpu);
        using var gpu = DecoderModel.Load(gguf, twin.Gpu);
        var cpuAdapter = adapter is null ? null : cpu.LoadAdapter(adapter, "a");
        var gpuAdapter = adapter is null ? null : gpu.LoadAdapter(adapter, "a");
        try
        {
            Compare(path, cpu, gpu, cpuAdapter is null ? null : LoraSelection.Of(cpuAdapter),
                gpuAdapter is null ? null : LoraSelection.Of(gpuAdapter), tolerance, strictGreedy);
        }
        finally
        {
            cpuAdapter?.Release();
            gpuAdapter?.Release();
        }
    }

    private static void Compare(string path, DecoderModel cpu, DecoderModel gpu, LoraSelection? cpuLora, LoraSelection? gpuLora,
        double tolerance, bool strictGreedy)
    {
        int[] table = [6, 1, 4, 0, 7, 3, 5, 2];
        cpu.AllocateKvCache(table.Length, BlockSize);
        gpu.AllocateKvCache(table.Length, BlockSize);
        int vocab = cpu.Shape.VocabSize;
        var cpuLogits = new float[vocab];
        var gpuLogits = new float[vocab];
        int[] prompt = [1, 14, 39, 7, 88, 25, 61, 5, 17, 42, 3];
        int length = 0;

        void Step(int[] tokens, bool logits)
        {
            cpu.Forward(Batch(tokens, length, table, logits, cpuLora), cpuLogits);
            gpu.Forward(Batch(tokens, length, table, logits, gpuLora), gpuLogits);
            length += tokens.Length;
        }

        Step(prompt[..6], logits: false);
        Step(prompt[6..], logits: true);
        for (int step = 0; ; step++)
        {
            // Logits compare on the scale of the row (its largest magnitude): the CPU quantizes activations to 8 bits for
            // quantized weights, which moves small logits of a real model by a fraction of its large ones.
            double scale = Math.Max(1, cpuLogits.Max(MathF.Abs));
            for (int i = 0; i < vocab; i++)
                Assert.True(Math.Abs(cpuLogits[i] - gpuLogits[i]) <= tolerance * scale,
                    $"{Path.GetFileName(path)} step {step} logit {i}: cpu {cpuLogits[i]} vs gpu {gpuLogits[i]} (row scale {scale})");
            var (best, margin) = Top(cpuLogits);
            var (gpuBest, _) = Top(gpuLogits);
            if (strictGreedy || margin > 2 * tolerance * scale)
                Assert.True(best == gpuBest, $"{Path.GetFileName(path)} step {step}: greedy cpu {best} vs gpu {gpuBest} (margin {margin})");
            if (step == DecodeSteps) break;
            Step([best], logits: true);
        }
    }

    private static ForwardBatch Batch(int[] tokens, int start, int[] table, bool logits, LoraSelection? lora)
    {
        var positions = Enumerable.Range(start, tokens.Length).ToArray();
        var slots = positions.Select(p => table[p / BlockSize] * BlockSize + p % BlockSize).ToArray();
        return new ForwardBatch(tokens, positions, slots, [new SequenceSlice(0, tokens.Length, start + tokens.Length, table, logits, Lora: lora)]);
    }

    private static (int Best, float Margin) Top(float[] logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        float second = float.MinValue;
        for (int i = 0; i < logits.Length; i++) if (i != best) second = Math.Max(second, logits[i]);
        return (best, logits[best] - second);
    }
}
