using System.Threading.Channels;
using Hearth.Cli.Support;
using Hearth.Core.Gguf;
using Hearth.Core.Templates;
using Hearth.Core.Tensors;
using Hearth.Core.Tokenizers;
using Hearth.Cpu;
using Hearth.Engine;
using Hearth.Engine.Embeddings;
using Hearth.Engine.Models;
using Hearth.Store;
using Hearth.Store.Hosting;

namespace Hearth.Cli.Commands;

/// <summary>Engine knobs from `hearth serve` options: threads (CPU), the device models run on and, on a GPU, the fraction
/// of device memory they may use (weights + KV cache).</summary>
internal sealed record ServeEngineSettings(int Threads, EngineOptions Engine, ComputeDevice Device = ComputeDevice.Cpu, double GpuMemoryUtilization = 0.9);

/// <summary>The one function that turns a GGUF file into a served model: GGUF → backend (CPU, or GPU with the KV cache
/// sized from free device memory) → DecoderModel (or an encoder: EncoderLoader), tokenizer,
/// chat template (the store's TEMPLATE override, else the GGUF's tokenizer.chat_template), AsyncEngine. The file and
/// the backend stay open for the model's lifetime and are closed when its engine is disposed.</summary>
internal static class ServeModelLoader
{
    public static LoadedModel Load(string name, string ggufPath, ModelEntry? entry, ServeEngineSettings settings)
    {
        var file = GgufFile.Open(ggufPath);
        if (EncoderLoader.IsEncoder(file)) return LoadEncoder(name, file, settings);
        IBackend? backend = null;
        DecoderModel? model = null;
        try
        {
            backend = DeviceSelection.CreateBackend(settings.Device, settings.Threads);
            model = DecoderModel.Load(file, backend);
            var options = settings.Engine;
            if (options.KvCacheMemoryBytes == null && options.NumKvBlocks == null
                && DeviceSelection.KvCacheBudget(backend, settings.GpuMemoryUtilization) is { } budget)
                options = options with { KvCacheMemoryBytes = budget };
            var tokenizer = TokenizerFactory.FromGguf(file);
            var source = entry?.Template ?? file.GetString("tokenizer.chat_template");
            IChatTemplate? template = string.IsNullOrWhiteSpace(source) ? null : ChatTemplate.Parse(source);
            var engine = new AsyncEngine(model, tokenizer, options, ownsModel: true);
            var memory = backend;
            return new LoadedModel(name, tokenizer, template, new OwningEngine(engine, [backend, file], () => DeviceSelection.DeviceMemory(memory)), model.Shape)
            {
                DefaultParameters = entry?.Parameters ?? new Dictionary<string, string>(),
                SystemPrompt = entry?.System,
            };
        }
        catch
        {
            model?.Dispose();
            backend?.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <summary>An encoder (bert, nomic-bert): embeddings and reranking; generation requests get a 400. Encoders run on
    /// the CPU backend (the GPU backend has no layer norm or GELU yet).</summary>
    private static LoadedModel LoadEncoder(string name, GgufFile file, ServeEngineSettings settings)
    {
        var backend = new CpuBackend(settings.Threads);
        try
        {
            return EncoderLoader.Load(name, file, backend, settings.Engine);
        }
        catch
        {
            backend.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <summary>Disposes what the model's weights live in (backend, mapped file) after the engine has stopped; adds the
    /// device's memory to the engine's stats when the model runs on a GPU.</summary>
    private sealed class OwningEngine(IGenerationEngine inner, IDisposable[] owned, Func<(long Used, long Total)?> deviceMemory) : IGenerationEngine
    {
        public ChannelReader<GenerationDelta> Submit(GenerationRequest request, CancellationToken cancellationToken = default) =>
            inner.Submit(request, cancellationToken);

        public EngineStats GetStats() => deviceMemory() is { } m
            ? inner.GetStats() with { DeviceMemoryUsedBytes = m.Used, DeviceMemoryTotalBytes = m.Total }
            : inner.GetStats();

        public EngineLimits Limits => inner.Limits;

        public PrefixCacheEvents? PrefixCache => inner.PrefixCache;

        public async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            foreach (var d in owned) d.Dispose();
        }
    }
}
