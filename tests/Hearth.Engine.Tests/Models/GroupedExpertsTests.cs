using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Cpu;
using Hearth.Engine.Models;
using Hearth.Engine.Tests.Embeddings;

namespace Hearth.Engine.Tests.Models;

/// <summary>The MoE layers on a backend with <see cref="IGroupedMatMul"/> (experts run together, in waves) give bit for
/// bit the logits of the one-expert-at-a-time path (the same CPU backend with the capability hidden): a long prompt
/// (more (token, expert) rows than one wave holds), decode steps, and a mixed batch of a prompt and a decode token.</summary>
public sealed class GroupedExpertsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hearth-moe-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("tiny-gpt-oss-mxfp4.json")]
    [InlineData("tiny-gpt-oss-f16.json")]
    [InlineData("tiny-qwen3moe-f16.json")]
    [InlineData("tiny-qwen2moe-f16.json")]
    [InlineData("tiny-mixtral-f16.json")]
    public void GroupedExpertsEqualOneByOne(string fixture)
    {
        var (doc, path) = ArchitectureReferenceTests.Build(fixture, _dir);
        var prompts = doc.RootElement.GetProperty("cases").EnumerateArray()
            .Select(c => ArchitectureReferenceTests.Ints(c.GetProperty("prompt_ids"))).ToArray();
        // 300 tokens × 2 experts each: 600 rows, more than a wave's 512.
        var longPrompt = Enumerable.Range(0, 300).Select(i => prompts[i % prompts.Length][i % prompts[i % prompts.Length].Length]).ToArray();
        using var gguf = GgufFile.Open(path);
        var grouped = Run(gguf, new CpuBackend(2), longPrompt, prompts[0]);
        var oneByOne = Run(gguf, new PagedOnlyBackend(new CpuBackend(2)), longPrompt, prompts[0]);
        Assert.Equal(grouped.Count, oneByOne.Count);
        for (int i = 0; i < grouped.Count; i++) Assert.Equal(oneByOne[i], grouped[i]);
    }

    private static List<float[]> Run(GgufFile gguf, IBackend backend, int[] longPrompt, int[] shortPrompt)
    {
        using var _ = backend;
        Assert.Equal(backend is IGroupedMatMul, backend is CpuBackend);
        using var model = DecoderModel.Load(gguf, backend);
        const int bs = 4;
        model.AllocateKvCache(256, bs);
        var results = new List<float[]>();
        var a = new SingleSequence(model, bs, Enumerable.Range(0, 128).ToArray());
        results.Add(a.Append(longPrompt));
        for (int step = 0; step < 3; step++) results.Add(a.Append([10 + step]));
        var b = new SingleSequence(model, bs, Enumerable.Range(128, 128).ToArray());
        results.AddRange(BatchedForwardTests.Run(model, [a, b], [(1, shortPrompt, true), (0, [42], true)]));
        return results;
    }
}
