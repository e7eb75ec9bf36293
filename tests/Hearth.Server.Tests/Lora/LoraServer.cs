using Hearth.Core.Gguf;
using Hearth.Core.Tokenizers;
using Hearth.Cpu;
using Hearth.Engine;
using Hearth.Engine.Lora;
using Hearth.Engine.Models;
using Hearth.Store.Hosting;
using Hearth.Store.Synthetic;
using Microsoft.AspNetCore.Builder;

namespace Hearth.Server.Tests.Lora;

/// <summary>A real Kestrel server on 127.0.0.1 serving the tiny-llama synthetic model ("tiny:latest") with a real
/// engine and LoRA cache (at most <c>maxLoras</c> adapters), the random adapter "ada" registered as a model name, and
/// more adapter files (b, c) and a non-adapter file in its folder for the load endpoint.</summary>
public sealed class LoraServer : IAsyncDisposable
{
    private readonly GgufFile _file;
    private readonly CpuBackend _backend;
    private readonly AsyncEngine _engine;
    private readonly LoraAdapterCache _adapters;

    public LoraServer(int maxLoras = 4, ServerOptions? options = null)
    {
        Folder = Directory.CreateTempSubdirectory("hearth-lora-http-").FullName;
        BasePath = Path.Combine(Folder, "tiny.gguf");
        SyntheticModel.Write(BasePath, "tiny-llama", GgmlType.F16, VocabLocator.Find(SyntheticPreset.Get("tiny-llama").DefaultVocab), seed: 1);
        foreach (var (name, seed) in new[] { ("ada", 11), ("b", 12), ("c", 13) })
            SyntheticLora.Write(Adapter(name), BasePath, new SyntheticLora.Options(8, 16, [.. SyntheticLora.Targets.Keys], GgmlType.F32, seed));
        _file = GgufFile.Open(BasePath);
        _backend = new CpuBackend(1);
        var model = DecoderModel.Load(_file, _backend);
        var tokenizer = TokenizerFactory.FromGguf(_file);
        _adapters = new LoraAdapterCache(model, maxLoras);
        _engine = new AsyncEngine(model, tokenizer, new EngineOptions { NumKvBlocks = 512, BlockSize = 16, MaxNumSeqs = 16 }, owned: [_adapters, model]);
        var loaded = new LoadedModel("tiny:latest", tokenizer, null, _engine, model.Shape) { Adapters = _adapters };
        var registry = new LoraRegistry();
        registry.TryAdd(new LoraSpec("ada", Adapter("ada")));
        Host = new LoraModelHost(new StaticModelHost([loaded]), registry);
        App = HearthServer.Build((options ?? new ServerOptions()) with { Port = 0, Host = "127.0.0.1" }, Host, null, _ => { });
        App.StartAsync().GetAwaiter().GetResult();
        BaseAddress = new Uri(HearthServer.BoundAddresses(App).Single() + "/");
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
    }

    public string Folder { get; }
    public string BasePath { get; }
    public string Adapter(string name) => Path.Combine(Folder, name + ".gguf");
    public LoraModelHost Host { get; }
    public WebApplication App { get; }
    public Uri BaseAddress { get; }
    public HttpClient Http { get; }
    public int LoadedAdapters => _adapters.Loaded().Count;

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        await Host.DisposeAsync();
        _backend.Dispose();
        _file.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}
