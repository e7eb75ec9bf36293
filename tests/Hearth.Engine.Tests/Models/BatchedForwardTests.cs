using Hearth.Core.Gguf;
using Hearth.Cpu;
using Hearth.Engine.Models;
using Hearth.Tests;

namespace Hearth.Engine.Tests.Models;

/// <summary>A batch that mixes decode tokens and prefill chunks of several sequences, with scattered block tables,
/// gives every sequence the logits it gets alone; block copies (copy-on-write) carry the cache over.</summary>
public sealed class BatchedForwardTests
{
    [Fact]
    public void MixedBatchEqualsEachSequenceAlone()
    {
        using var gguf = GgufFile.Open(TestPaths.EmbeddedModel);
        using var backend = new CpuBackend(2);
        const int bs = 4;
        int[][] tables = [[9, 3, 14, 0], [1, 12], [7, 5, 10, 2], [13, 4, 11]];
        int[][] prompts = [[1, 50, 60, 70, 80, 90], [1, 20], [1, 33, 44, 55, 66, 77, 88, 99, 111], [1, 5, 6, 7, 8]];

        // Alone: each sequence prefilled, then decodes two tokens.
        var alone = new List<float[]>[4];
        using (var model = DecoderModel.Load(gguf, backend))
        {
            model.AllocateKvCache(16, bs);
            for (int s = 0; s < 4; s++)
            {
                var seq = new SingleSequence(model, bs, tables[s]);
                alone[s] = [seq.Append(prompts[s]), seq.Append([200 + s]), seq.Append([300 + s])];
            }
        }

        using var batched = DecoderModel.Load(gguf, backend);
        batched.AllocateKvCache(16, bs);
        var seqs = Enumerable.Range(0, 4).Select(s => new SingleSequence(batched, bs, tables[s])).ToArray();
        // Step 1: seq 0 full prompt, seq 2 first 5 prompt tokens (chunk, no logits), seq 1 full prompt.
        var got = Run(batched, seqs, [(0, prompts[0], true), (2, prompts[2][..5], false), (1, prompts[1], true)]);
        AssertClose(alone[0][0], got[0]);
        AssertClose(alone[1][0], got[1]);
        // Step 2: decode seq 0 and 1, finish seq 2's prompt, whole prompt of seq 3.
        got = Run(batched, seqs, [(1, [201], true), (2, prompts[2][5..], true), (0, [200], true), (3, prompts[3], true)]);
        AssertClose(alone[1][1], got[0]);
        AssertClose(alone[2][0], got[1]);
        AssertClose(alone[0][1], got[2]);
        AssertClose(alone[3][0], got[3]);
        // Step 3: four decode tokens.
        got = Run(batched, seqs, [(3, [203], true), (2, [202], true), (1, [301], true), (0, [300], true)]);
        AssertClose(alone[3][1], got[0]);
        AssertClose(alone[2][1], got[1]);
        AssertClose(alone[1][2], got[2]);
        AssertClose(alone[0][2], got[3]);
    }

    internal static List<float[]> Run(DecoderModel model, SingleSequence[] seqs, (int Seq, int[] Tokens, bool Logits)[] parts)
    {
        var ids = new List<int>(); var pos = new List<int>(); var slots = new List<int>(); var slices = new List<SequenceSlice>();
        foreach (var (s, tokens, wantLogits) in parts)
        {
            var one = seqs[s].BatchFor(tokens, ids.Count, wantLogits);
            ids.AddRange(one.TokenIds); pos.AddRange(one.Positions); slots.AddRange(one.SlotMapping);
            slices.Add(one.Sequences[0]);
        }
        var batch = new ForwardBatch([.. ids], [.. pos], [.. slots], [.. slices]);
        int v = model.Shape.VocabSize;
        var logits = new float[batch.LogitRows * v];
        model.Forward(batch, logits);
        foreach (var (s, tokens, _) in parts) seqs[s].Advance(tokens.Length);
        return Enumerable.Range(0, batch.LogitRows).Select(r => logits.AsSpan(r * v, v).ToArray()).ToList();
    }

    internal static void AssertClose(float[] expected, float[] actual)
    {
        float max = expected.Max(MathF.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= 1e-5f * max, $"id {i}: alone {expected[i]}, batched {actual[i]}");
    }

    [Fact]
    public void CopyBlocksDuplicatesCache()
    {
        using var gguf = GgufFile.Open(TestPaths.EmbeddedModel);
        using var backend = new CpuBackend(1);
        using var model = DecoderModel.Load(gguf, backend);
        model.AllocateKvCache(8, 4);
        var a = new SingleSequence(model, 4, [0, 1, 2]);
        a.Append([1, 10, 20, 30, 40, 50]);
        // Fork: b shares block 0, gets a copy of the partly filled block 1 in block 5.
        model.CopyBlocks([(1, 5)]);
        var b = new SingleSequence(model, 4, [0, 5, 6]);
        b.Advance(6);
        var fromA = a.Append([60]);
        var fromB = b.Append([60]);
        AssertClose(fromA, fromB);
    }

    [Fact]
    public void UnsupportedArchitectureIsAClearError()
    {
        string path = Path.Combine(Path.GetTempPath(), $"hearth-arch-{Guid.NewGuid():N}.gguf");
        try
        {
            var bytes = File.ReadAllBytes(TestPaths.EmbeddedModel);
            // Same length name: "llama" → "gemma" keeps every offset valid.
            var text = System.Text.Encoding.ASCII.GetBytes("llama");
            int at = bytes.AsSpan().IndexOf("general.architecture"u8) + "general.architecture"u8.Length + 4 + 8;
            Assert.True(bytes.AsSpan(at, 5).SequenceEqual(text));
            "gemma"u8.CopyTo(bytes.AsSpan(at));
            File.WriteAllBytes(path, bytes);
            using var gguf = GgufFile.Open(path);
            using var backend = new CpuBackend(1);
            var e = Assert.Throws<NotSupportedException>(() => DecoderModel.Load(gguf, backend));
            Assert.Contains("architecture 'gemma' is not supported", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
