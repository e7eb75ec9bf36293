using Hearth.Core.Gguf;
using Hearth.Core.Tokenizers;
using Hearth.Cpu;
using Hearth.Engine.Lora;
using Hearth.Engine.Models;
using static Hearth.Engine.Tests.Engine.EngineHarness;

namespace Hearth.Engine.Tests.Lora;

/// <summary>Adapters through the whole engine: the prefix cache never serves KV computed under another adapter (or the
/// bare model), an adapter's refcount keeps it loaded while a request runs, and bad adapter files are clear errors.</summary>
public sealed class LoraEngineTests : IDisposable
{
    private const string Preset = "tiny-llama";
    private readonly LoraFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void PrefixCacheIsNeverSharedAcrossAdapters()
    {
        using var gguf = GgufFile.Open(_files.Base(Preset));
        using var backend = new CpuBackend(1);
        using var model = DecoderModel.Load(gguf, backend);
        var tokenizer = TokenizerFactory.FromGguf(gguf);
        var a = model.LoadAdapter(_files.Adapter(Preset, "a"), "a");
        var b = model.LoadAdapter(_files.Adapter(Preset, "b"), "b");
        int[] prompt = tokenizer.Encode("The quick brown fox jumps over the lazy dog. It was a sunny day in the village.", addSpecial: true, parseSpecial: false);
        Assert.True(prompt.Length > 12);
        GenerationRequest Req(LoraSelection? lora) => new("r", prompt, Greedy(8)) { Lora = lora };

        // The reference: each selection on its own engine without prefix caching.
        var cold = Untimed(model, tokenizer, new EngineOptions { NumKvBlocks = 64, BlockSize = 4, EnablePrefixCaching = false });
        List<int> Cold(LoraSelection? lora) { long k = cold.AddRequest(Req(lora)); return RunAll(cold)[k][0].Tokens; }
        LoraSelection?[] order = [LoraSelection.Of(a), LoraSelection.Of(b), null, LoraSelection.Of(a, 0.5f), LoraSelection.Of(a)];
        var expected = order.Select(Cold).ToArray();
        Assert.NotEqual(expected[0], expected[1]);
        Assert.NotEqual(expected[0], expected[2]);

        var engine = Untimed(model, tokenizer, new EngineOptions { NumKvBlocks = 64, BlockSize = 4 });
        var cached = new List<int>();
        for (int i = 0; i < order.Length; i++)
        {
            long key = engine.AddRequest(Req(order[i]));
            var choice = RunAll(engine)[key][0];
            Assert.Equal(expected[i], choice.Tokens);
            cached.Add(choice.Last.CachedPromptTokens);
        }
        // a, then b, the base and a at another scale find nothing; a again finds its own prefix.
        Assert.Equal([0, 0, 0, 0], cached.Take(4));
        Assert.True(cached[4] >= 8, $"a's second request reused {cached[4]} tokens");
    }

    [Fact]
    public void AnAdapterStaysLoadedUntilItsLastRequestFinishes()
    {
        using var gguf = GgufFile.Open(_files.Base(Preset));
        using var backend = new CpuBackend(1);
        using var model = DecoderModel.Load(gguf, backend);
        var tokenizer = TokenizerFactory.FromGguf(gguf);
        var a = model.LoadAdapter(_files.Adapter(Preset, "a"), "a");
        var engine = Untimed(model, tokenizer, new EngineOptions { NumKvBlocks = 64, BlockSize = 4 });
        var expected = RunAll(Add(engine, a, out long first))[first][0].Tokens;

        Add(engine, a, out long key);
        engine.Step();
        a.Release(); // unloaded while the request runs: the request keeps it
        Assert.True(a.IsLoaded);
        var rest = RunAll(engine);
        Assert.False(a.IsLoaded);
        Assert.Equal(expected.Skip(1), rest[key][0].Tokens);
        // A request for an unloaded adapter is refused, not run on freed weights.
        Assert.Throws<InvalidRequestException>(() => engine.AddRequest(new GenerationRequest("x", [1, 2, 3], Greedy(2)) { Lora = LoraSelection.Of(a) }));
    }

    private static LlmEngine Add(LlmEngine engine, LoraAdapter a, out long key)
    {
        key = engine.AddRequest(new GenerationRequest("r", [1, 450, 4996, 17354, 1701], Greedy(6)) { Lora = LoraSelection.Of(a) });
        return engine;
    }

    [Fact]
    public void BadAdaptersAreClearErrors()
    {
        using var gguf = GgufFile.Open(_files.Base(Preset));
        using var backend = new CpuBackend(1);
        using var model = DecoderModel.Load(gguf, backend);
        string Error(string path) => Assert.Throws<LoraException>(() => model.LoadAdapter(path, "x")).Message;

        Assert.Contains("does not exist", Error(Path.Combine(_files.Directory, "missing.gguf")));
        string junk = Path.Combine(_files.Directory, "junk.gguf");
        File.WriteAllText(junk, "not a gguf file at all");
        Assert.Contains("not a GGUF file", Error(junk));
        Assert.Contains("adapter.type is '(missing)'", Error(_files.Base("tiny-test"))); // a model, not an adapter
        Assert.Contains("architecture 'qwen3' but the model is 'llama'", Error(_files.Adapter("tiny-qwen3", "a")));
        // Same architecture, other shapes: tiny-formats is a 256-wide llama.
        Assert.Contains("expected [64, r]", Error(_files.Adapter("tiny-formats", "b")));
    }
}
