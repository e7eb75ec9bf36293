using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Core.Tokenizers;
using Hearth.Engine;
using Hearth.Engine.Models;
using Hearth.Store.Synthetic;
using Hearth.Tests;

namespace Hearth.Gpu.Tests;

/// <summary>The engine does not know which backend it has: the same requests (batched decode, chunked prefill next to
/// decodes, a shared prefix from the cache) produce the same greedy tokens and text on the GPU backend as on the CPU.</summary>
[Collection("gpu")]
public sealed class EngineTests
{
    [SharedFact]
    public void BatchedGreedyGenerationEqualsTheCpuEngine()
    {
        var twin = SharedTwins.NarrowWarps;
        string path = TestPaths.SharedFile("models", "stories260K-f32.gguf")!;
        using var gguf = GgufFile.Open(path);
        var tokenizer = TokenizerFactory.FromGguf(gguf);
        string[] prompts = ["Once upon a time", "Once upon a time, there was", "The little dog"];
        var cpu = Generate(gguf, twin.Cpu, tokenizer, prompts);
        var gpu = Generate(gguf, twin.Gpu, tokenizer, prompts);
        for (int i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(8, cpu[i].Tokens.Count);
            Assert.Equal(cpu[i].Tokens, gpu[i].Tokens);
            Assert.Equal(cpu[i].Text, gpu[i].Text);
        }
    }

    /// <summary>Gemma 2 (window 8) through the engine far past its window: the sliding layers' KV group releases the blocks
    /// the window has passed (their block-table entries become -1), which the GPU must neither read nor refuse.</summary>
    [Fact]
    public void SlidingWindowModelWithReleasedBlocksEqualsTheCpuEngine()
    {
        var twin = SharedTwins.NarrowWarps;
        string dir = Directory.CreateTempSubdirectory("hearth-gpu-engine-").FullName;
        try
        {
            string path = Path.Combine(dir, "tiny-gemma2.gguf");
            SyntheticModel.Write(path, "tiny-gemma2", GgmlType.F16, VocabLocator.Find(SyntheticPreset.Get("tiny-gemma2").DefaultVocab), seed: 1);
            using var gguf = GgufFile.Open(path);
            var tokenizer = TokenizerFactory.FromGguf(gguf);
            string[] prompts = ["Once upon a time there was a little", "The little dog ran"];
            var cpu = Generate(gguf, twin.Cpu, tokenizer, prompts, maxTokens: 16);
            var gpu = Generate(gguf, twin.Gpu, tokenizer, prompts, maxTokens: 16);
            for (int i = 0; i < prompts.Length; i++) Assert.Equal(cpu[i].Tokens, gpu[i].Tokens);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static List<(List<int> Tokens, string Text)> Generate(GgufFile gguf, IBackend backend, ITokenizer tokenizer, string[] prompts,
        int maxTokens = 8)
    {
        using var model = DecoderModel.Load(gguf, backend);
        // Small steps: the second prompt's prefill is chunked next to the first one's decodes; block size 4 lets it
        // share "Once upon a time" from the prefix cache.
        var engine = new LlmEngine(model, tokenizer, new EngineOptions { NumKvBlocks = 32, BlockSize = 4, MaxNumBatchedTokens = 6, StepFixedCostTokens = 12 });
        var keys = prompts.Select((p, i) => engine.AddRequest(new GenerationRequest($"r{i}", tokenizer.Encode(p, addSpecial: true, parseSpecial: false),
            new SamplingParams { Temperature = 0, MaxTokens = maxTokens, IgnoreEos = true }))).ToArray();
        var outputs = keys.ToDictionary(k => k, _ => (Tokens: new List<int>(), Text: ""));
        for (int step = 0; engine.HasUnfinishedRequests; step++)
        {
            Assert.True(step < 200, "engine did not finish");
            foreach (var o in engine.Step().Outputs)
            {
                var (tokens, text) = outputs[o.RequestKey];
                tokens.AddRange(o.Delta.TokenIds);
                outputs[o.RequestKey] = (tokens, text + o.Delta.Text);
            }
        }
        return keys.Select(k => outputs[k]).ToList();
    }
}
