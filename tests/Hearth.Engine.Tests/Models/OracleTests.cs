using Hearth.Core.Gguf;
using Hearth.Cpu;
using Hearth.Engine.Models;
using Hearth.Tests;

namespace Hearth.Engine.Tests.Models;

/// <summary>DecoderModel (batched prefill, paged cache, SIMD kernels, quantized activations) against the scalar
/// reference forward. The embedded Q8_0 model needs nothing from ../shared.</summary>
public sealed class OracleTests
{
    private static readonly int[] Prompt = [1, 415, 1032, 1744, 29, 1161, 540, 264, 1413, 1000];

    [Fact]
    public void EmbeddedModelMatchesScalarOracle() => Compare(TestPaths.EmbeddedModel, relTol: 3e-2f, steps: 12);

    [SharedFact]
    public void Stories260KMatchesScalarOracle() => Compare(TestPaths.SharedFile("models", "stories260K-f32.gguf")!, relTol: 1e-4f, steps: 12);

    [SharedFact]
    public void Qwen3MatchesScalarOracle() => Compare(TestPaths.SharedFile("models", "synthetic-qwen3-tiny.gguf")!, relTol: 2e-3f, steps: 6);

    [SharedFact]
    public void Qwen2MatchesScalarOracle() => Compare(TestPaths.SharedFile("models", "synthetic-qwen2-tiny.gguf")!, relTol: 2e-3f, steps: 6);

    [SharedFact]
    public void Llama3MatchesScalarOracle() => Compare(TestPaths.SharedFile("models", "synthetic-llama3-tiny.gguf")!, relTol: 2e-3f, steps: 6);

    private static void Compare(string path, float relTol, int steps)
    {
        using var gguf = GgufFile.Open(path);
        using var backend = new CpuBackend(2);
        using var model = DecoderModel.Load(gguf, backend);
        model.AllocateKvCache(8, 4);
        var seq = new SingleSequence(model, 4, [7, 2, 5, 0, 1, 6, 3, 4]);
        var oracle = new ScalarReferenceForward(gguf);
        int[] prompt = Prompt.Select(t => t % model.Shape.VocabSize).ToArray();

        float[] expected = [];
        foreach (int t in prompt) expected = oracle.Step(t);
        var actual = seq.Append(prompt);
        for (int step = 0; ; step++)
        {
            float max = expected.Max(MathF.Abs);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(MathF.Abs(actual[i] - expected[i]) <= relTol * max, $"step {step} id {i}: {actual[i]} vs oracle {expected[i]}");
            if (step == steps) break;
            int next = ReferenceTests.ArgMax(expected);
            expected = oracle.Step(next);
            actual = seq.Append([next]);
        }
    }
}
