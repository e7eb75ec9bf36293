using Hearth.Core.Gguf;
using Hearth.Cpu;
using Hearth.Engine.Lora;
using Hearth.Engine.Models;
using Hearth.Engine.Tests.Models;

namespace Hearth.Engine.Tests.Lora;

/// <summary>One forward pass over sequences with different adapters and none (grouped per adapter inside the batched
/// matmul) gives every sequence the logits it gets alone, prompts and decode steps mixed, in any order.</summary>
public sealed class LoraBatchTests : IDisposable
{
    private readonly LoraFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void BatchMixingFourAdaptersAndTheBareBaseEqualsEachAlone()
    {
        const string preset = "tiny-llama";
        using var gguf = GgufFile.Open(_files.Base(preset));
        using var backend = new CpuBackend(2);
        using var model = DecoderModel.Load(gguf, backend);
        LoraSelection?[] selections =
        [
            LoraSelection.Of(model.LoadAdapter(_files.Adapter(preset, "a"), "a")),
            LoraSelection.Of(model.LoadAdapter(_files.Adapter(preset, "b"), "b"), 0.5f),
            LoraSelection.Of(model.LoadAdapter(_files.Adapter(preset, "c"), "c"), -1f),
            LoraSelection.Of(model.LoadAdapter(_files.Extra(preset, "d", 16, 16, ["q", "v", "down"], 21), "d"), 2f),
            null,
        ];
        // The same adapter at another scale is a sixth sequence in a's group.
        selections = [.. selections, LoraSelection.Of(selections[0]!.Uses[0].Adapter, 0.25f)];
        const int bs = 4;
        int n = selections.Length;
        model.AllocateKvCache(32 * n, bs);
        int[] prompt = [1, 450, 4996, 17354, 1701, 29916, 432, 17204, 975, 278, 17366, 11203];
        int[] Table(int s) => Enumerable.Range(0, 32).Select(i => i * n + s).ToArray();

        var alone = new List<float[]>();
        for (int s = 0; s < n; s++)
        {
            var seq = new SingleSequence(model, bs, Table(s)) { Lora = selections[s] };
            alone.Add(seq.Append(prompt[..(6 + s)]));
            alone.Add(seq.Append([100 + s]));
        }
        for (int s = 0; s < n - 2; s++)
            Assert.True(Differ(alone[2 * s], alone[2 * (n - 2)]), $"sequence {s}'s adapter does not change its logits");

        var seqs = Enumerable.Range(0, n).Select(s => new SingleSequence(model, bs, Table(s)) { Lora = selections[s] }).ToArray();
        var first = BatchedForwardTests.Run(model, seqs, [.. Enumerable.Range(0, n).Select(s => (s, prompt[..(6 + s)], true))]);
        var second = BatchedForwardTests.Run(model, seqs, [.. Enumerable.Range(0, n).Reverse().Select(s => (s, new[] { 100 + s }, true))]);
        for (int s = 0; s < n; s++)
        {
            BatchedForwardTests.AssertClose(alone[2 * s], first[s]);
            BatchedForwardTests.AssertClose(alone[2 * s + 1], second[n - 1 - s]);
        }
    }

    private static bool Differ(float[] a, float[] b)
    {
        float max = a.Max(MathF.Abs);
        return a.Zip(b).Any(p => MathF.Abs(p.First - p.Second) > 1e-2f * max);
    }
}
