using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Core.Tokenizers;
using Hearth.Engine;
using Hearth.Engine.Models;
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

    private static List<(List<int> Tokens, string Text)> Generate(GgufFile gguf, IBackend backend, ITokenizer tokenizer, string[] prompts)
    {
        using var model = DecoderModel.Load(gguf, backend);
        // Small steps: the second prompt's prefill is chunked next to the first one's decodes; block size 4 lets it
        // share "Once upon a time" from the prefix cache.
        var engine = new LlmEngine(model, tokenizer, new EngineOptions { NumKvBlocks = 32, BlockSize = 4, MaxNumBatchedTokens = 6, StepFixedCostTokens = 12 });
        var keys = prompts.Select((p, i) => engine.AddRequest(new GenerationRequest($"r{i}", tokenizer.Encode(p, addSpecial: true, parseSpecial: false),
            new SamplingParams { Temperature = 0, MaxTokens = 8, IgnoreEos = true }))).ToArray();
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
