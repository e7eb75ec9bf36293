using System.Threading.Channels;
using Hearth.Core.Gguf;
using Hearth.Core.Templates;
using Hearth.Core.Tokenizers;
using Hearth.Cpu;
using Hearth.Engine;
using Hearth.Engine.Models;
using Hearth.Engine.Store;

namespace Hearth.Cli.Commands;

/// <summary>Engine knobs from `hearth serve` options.</summary>
internal sealed record ServeEngineSettings(int Threads, EngineOptions Engine);

/// <summary>The one function that turns a GGUF file into a served model: GGUF → CPU backend → LlamaModel, tokenizer,
/// chat template (the store's TEMPLATE override, else the GGUF's tokenizer.chat_template), AsyncEngine. The file and
/// the backend stay open for the model's lifetime and are closed when its engine is disposed.</summary>
internal static class ServeModelLoader
{
    public static LoadedModel Load(string name, string ggufPath, ModelEntry? entry, ServeEngineSettings settings)
    {
        var file = GgufFile.Open(ggufPath);
        CpuBackend? backend = null;
        LlamaModel? model = null;
        try
        {
            backend = new CpuBackend(settings.Threads);
            model = LlamaModel.Load(file, backend);
            var tokenizer = TokenizerFactory.FromGguf(file);
            var source = entry?.Template ?? file.GetString("tokenizer.chat_template");
            IChatTemplate? template = string.IsNullOrWhiteSpace(source) ? null : ChatTemplate.Parse(source);
            var engine = new AsyncEngine(model, tokenizer, settings.Engine, ownsModel: true);
            return new LoadedModel(name, tokenizer, template, new OwningEngine(engine, [backend, file]), model.Shape)
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

    /// <summary>Disposes what the model's weights live in (backend, mapped file) after the engine has stopped.</summary>
    private sealed class OwningEngine(IGenerationEngine inner, IDisposable[] owned) : IGenerationEngine
    {
        public ChannelReader<GenerationDelta> Submit(GenerationRequest request, CancellationToken cancellationToken = default) =>
            inner.Submit(request, cancellationToken);

        public EngineStats GetStats() => inner.GetStats();

        public EngineLimits Limits => inner.Limits;

        public async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            foreach (var d in owned) d.Dispose();
        }
    }
}
