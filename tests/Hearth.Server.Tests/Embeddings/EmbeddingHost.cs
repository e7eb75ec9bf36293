using Hearth.Core.Gguf;
using Hearth.Cpu;
using Hearth.Engine;
using Hearth.Engine.Embeddings;
using Hearth.Engine.Models;
using Hearth.Engine.Tests.Embeddings;
using Hearth.Server.Tests.Fakes;
using Hearth.Store.Hosting;
using Microsoft.AspNetCore.Builder;

namespace Hearth.Server.Tests.Embeddings;

/// <summary>A real Kestrel server on 127.0.0.1 serving real encoders — "tiny-bert" (CLS pooling), "tiny-rerank"
/// (a cross-encoder), "tiny-qwen3-embed" and "tiny-qwen3-reranker" (decoders) built from the synthetic presets the llama.cpp fixtures were made from — next to a fake
/// generation model "fake".</summary>
public sealed class EmbeddingHost : IAsyncLifetime
{
    /// <summary>Small batches, so that concurrent requests must share passes and split across them.</summary>
    public static readonly EngineOptions Options = new() { MaxNumBatchedTokens = 64, MaxNumSeqs = 8 };

    private StaticModelHost _host = null!;
    public WebApplication App { get; private set; } = null!;
    public Uri BaseAddress { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public LoadedModel Bert { get; private set; } = null!;
    public LoadedModel Rerank { get; private set; } = null!;
    public LoadedModel Qwen3Embed { get; private set; } = null!;
    public LoadedModel Qwen3Rerank { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Bert = Load("tiny-bert:latest", "tiny-bert");
        Rerank = Load("tiny-rerank:latest", "tiny-bert-rerank");
        Qwen3Embed = Load("tiny-qwen3-embed:latest", "tiny-qwen3-embed");
        Qwen3Rerank = Load("tiny-qwen3-reranker:latest", "tiny-qwen3-reranker");
        var fake = new LoadedModel("fake:latest", new FakeTokenizer(), new FakeChatTemplate(), new FakeEngine(),
            new ModelShape("llama", 259, 128, 2, 1, 8, 16));
        _host = new StaticModelHost([Bert, Rerank, Qwen3Embed, Qwen3Rerank, fake]);
        App = HearthServer.Build(new ServerOptions { Port = 0, Host = "127.0.0.1" }, _host, null, logging => { });
        await App.StartAsync();
        BaseAddress = new Uri(HearthServer.BoundAddresses(App).Single() + "/");
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    private static LoadedModel Load(string name, string fixture)
    {
        var file = GgufFile.Open(EncoderFixtures.ModelPath(fixture));
        return EncoderLoader.Load(name, file, new CpuBackend(1), Options);
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        await _host.DisposeAsync();
    }
}
