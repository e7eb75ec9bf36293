using Hearth.Core.Gguf;
using Hearth.Cpu;
using Hearth.Engine.Models;
using Hearth.Tests;
using Xunit.Abstractions;

namespace Hearth.Engine.Tests.Models;

/// <summary>DecoderModel on the CPU backend against llama.cpp's references for every model and public prompt:
/// prefill logits, teacher-forced top-20 logits per step, and greedy ids up to the first near tie.</summary>
public sealed class ReferenceTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Cases() => ReferenceCase.All();

    [SharedTheory]
    [MemberData(nameof(Cases))]
    public void MatchesLlamaCpp(string file)
    {
        var c = ReferenceCase.Load(file);
        using var gguf = GgufFile.Open(c.ModelFile);
        using var backend = new CpuBackend(1);
        using var model = DecoderModel.Load(gguf, backend);
        const int blockSize = 16;
        int blocks = (c.PromptIds.Length + c.GreedyIds.Length + blockSize) / blockSize + 1;
        model.AllocateKvCache(blocks + 3, blockSize);
        // A reversed block table, so that paging (not contiguity) is what makes it work.
        var table = Enumerable.Range(0, blocks).Select(i => blocks + 2 - i).ToArray();
        var seq = new SingleSequence(model, blockSize, table);

        // 1. Prefill: the whole vocabulary at step 0.
        var logits = seq.Append(c.PromptIds);
        float maxRef = c.Logits0.Max(MathF.Abs);
        float worst = 0;
        for (int i = 0; i < c.Logits0.Length; i++) worst = MathF.Max(worst, MathF.Abs(logits[i] - c.Logits0[i]));
        output.WriteLine($"step 0: max |Δ| {worst:E3} = {worst / maxRef:E3} of max |ref| (tolerance {c.RelTol:E1})");
        Assert.True(worst <= c.RelTol * maxRef, $"prefill logits differ by {worst} (> {c.RelTol} × {maxRef})");

        // 2 + 3. Teacher-forced decode; greedy must agree until the first near tie (free running is identical up to there).
        bool freeRunningAgrees = true;
        float worstRel = worst / maxRef;
        for (int step = 0; step < c.GreedyIds.Length; step++)
        {
            if (step > 0) logits = seq.Append([c.GreedyIds[step - 1]]);
            float stepMax = c.Top20Logits[step].Max(MathF.Abs);
            for (int j = 0; j < 20; j++)
            {
                float d = MathF.Abs(logits[c.Top20Ids[step][j]] - c.Top20Logits[step][j]);
                worstRel = MathF.Max(worstRel, d / stepMax);
                Assert.True(d <= c.RelTol * stepMax, $"step {step}: logit of id {c.Top20Ids[step][j]} is {logits[c.Top20Ids[step][j]]}, reference {c.Top20Logits[step][j]}");
            }
            int argmax = ArgMax(logits);
            if (c.Margins[step] < c.MinMargin) freeRunningAgrees = false; // near tie: either choice is right from here on
            if (freeRunningAgrees || c.Margins[step] >= c.MinMargin)
                Assert.True(argmax == c.GreedyIds[step], $"step {step}: argmax {argmax}, reference {c.GreedyIds[step]} (margin {c.Margins[step]})");
        }
        output.WriteLine($"worst relative logit difference over all steps: {worstRel:E3}");
    }

    internal static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
