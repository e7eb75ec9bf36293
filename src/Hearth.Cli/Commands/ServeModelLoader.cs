using Hearth.Cli.Support;
using Hearth.Core.Gguf;
using Hearth.Core.Templates;
using Hearth.Core.Tensors;
using Hearth.Core.Tokenizers;
using Hearth.Cpu;
using Hearth.Engine;
using Hearth.Engine.Embeddings;
using Hearth.Engine.Lora;
using Hearth.Engine.Models;
using Hearth.Store;
using Hearth.Store.Hosting;

namespace Hearth.Cli.Commands;

/// <summary>Engine knobs from `hearth serve` options: threads (CPU), the device models run on and, on a GPU, the fraction
/// of device memory they may use (weights + KV cache).</summary>
internal sealed record ServeEngineSettings(int Threads, EngineOptions Engine, ComputeDevice Device = ComputeDevice.Cpu, double GpuMemoryUtilization = 0.9,
    int MaxLoras = 8)
{
    /// <summary>The draft model's GGUF for speculative method draft (loaded next to each generation model, on its backend).</summary>
    public string? DraftModelPath { get; init; }
}

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
        DecoderModel? model = null, draft = null;
        GgufFile? draftFile = null;
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
            var memory = backend;
            var adapters = new LoraAdapterCache(model, settings.MaxLoras);
            var modelfileLora = ModelfileAdapters(adapters, entry);
            (draftFile, draft) = LoadDraft(options, settings, backend);
            // Disposed in this order after the engine thread stops: the adapters (their weights live in the backend and
            // their files next to the model's), the models, then the backend, then the files.
            IDisposable[] owned = draft is null
                ? [modelfileLora, adapters, model, backend, file]
                : [modelfileLora, adapters, draft, model, backend, draftFile!, file];
            var engine = new AsyncEngine(model, tokenizer, options, owned, () => DeviceSelection.DeviceMemory(memory), draft);
            return new LoadedModel(name, tokenizer, template, engine, model.Shape)
            {
                Adapters = adapters,
                Lora = modelfileLora.Selection,
                DefaultParameters = entry?.Parameters ?? new Dictionary<string, string>(),
                SystemPrompt = entry?.System,
            };
        }
        catch
        {
            draft?.Dispose();
            model?.Dispose();
            backend?.Dispose();
            draftFile?.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <summary>The draft model of speculative method draft, on the target's backend (null for the other methods).</summary>
    private static (GgufFile? File, DecoderModel? Model) LoadDraft(EngineOptions options, ServeEngineSettings settings, IBackend backend)
    {
        if (options.SpeculativeMethod != SpeculativeMethod.Draft) return (null, null);
        var path = settings.DraftModelPath ?? throw new ArgumentException("speculative method draft needs a draft model file");
        var file = GgufFile.Open(path);
        try
        {
            return (file, DecoderModel.Load(file, backend));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The Modelfile's ADAPTER blobs, loaded (a file that does not fit the model fails the load with its
    /// reason) and held for the model's lifetime: every request of this model name runs with them at scale 1.</summary>
    private static ModelfileLora ModelfileAdapters(LoraAdapterCache cache, ModelEntry? entry)
    {
        if (entry is not { AdapterPaths.Count: > 0 }) return new ModelfileLora(null);
        var held = new List<LoraAdapter>();
        try
        {
            foreach (var path in entry.AdapterPaths) held.Add(cache.Acquire("modelfile:" + Path.GetFileName(path), path));
        }
        catch
        {
            foreach (var a in held) a.Release();
            throw;
        }
        return new ModelfileLora(new LoraSelection([.. held.Select(a => new LoraUse(a, 1f))]));
    }

    /// <summary>Releases the Modelfile adapters' references when the model is unloaded.</summary>
    private sealed class ModelfileLora(LoraSelection? selection) : IDisposable
    {
        public LoraSelection? Selection { get; } = selection;
        public void Dispose() => Selection?.Release();
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
}
