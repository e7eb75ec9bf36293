using Hearth.Core.Gguf;
using Hearth.Core.Templates;
using Hearth.Core.Tokenizers;
using Hearth.Cpu;
using Hearth.Engine;
using Hearth.Engine.Models;
using Hearth.Store.Hosting;
using Hearth.Tests;
using Microsoft.AspNetCore.Builder;

namespace Hearth.Server.Tests.Structured;

/// <summary>A real Kestrel server on 127.0.0.1 serving a real engine over a GGUF from ../shared/models (random
/// weights: its output is noise, so only a grammar can make it valid).</summary>
public sealed class RealModelHost : IAsyncDisposable
{
    private readonly GgufFile _file;
    private readonly CpuBackend _backend;
    private readonly AsyncEngine _engine;

    public RealModelHost(string modelFile, string name = "noise")
    {
        _file = GgufFile.Open(TestPaths.SharedFile("models", modelFile)!);
        _backend = new CpuBackend(1);
        var model = DecoderModel.Load(_file, _backend);
        var tokenizer = TokenizerFactory.FromGguf(_file);
        var source = _file.GetString("tokenizer.chat_template");
        IChatTemplate? template = string.IsNullOrWhiteSpace(source) ? null : ChatTemplate.Parse(source);
        _engine = new AsyncEngine(model, tokenizer, new EngineOptions { NumKvBlocks = 1024, BlockSize = 16, MaxNumSeqs = 16 }, ownsModel: true);
        var loaded = new LoadedModel(name + ":latest", tokenizer, template, _engine, model.Shape);
        App = HearthServer.Build(new ServerOptions { Port = 0, Host = "127.0.0.1" }, new StaticModelHost([loaded], new Dictionary<string, long>()), null, _ => { });
        App.StartAsync().GetAwaiter().GetResult();
        BaseAddress = new Uri(HearthServer.BoundAddresses(App).Single() + "/");
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
    }

    public WebApplication App { get; }
    public Uri BaseAddress { get; }
    public HttpClient Http { get; }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        await _engine.DisposeAsync();
        _backend.Dispose();
        _file.Dispose();
    }
}
