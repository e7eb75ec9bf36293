using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Core.Tokenizers;
using Hearth.Engine;
using Hearth.Engine.Embeddings;
using Hearth.Engine.Models;
using Hearth.Engine.Models.Bert;

namespace Hearth.Store.Hosting;

/// <summary>Turns an encoder GGUF (bert, nomic-bert) into a served model: the model on a backend, its tokenizer, an
/// <see cref="EmbeddingEngine"/>, and an <see cref="EmbeddingOnlyEngine"/> that refuses generation.</summary>
public static class EncoderLoader
{
    /// <summary>Whether the file holds an architecture this loader serves.</summary>
    public static bool IsEncoder(GgufFile file) => BertHyperparameters.Supported.Contains(file.GetString("general.architecture") ?? "");

    /// <summary>Loads the model. On success the returned model owns <paramref name="file"/> and <paramref name="backend"/>
    /// (freed when its engine is disposed); on failure the caller still owns them.</summary>
    public static LoadedModel Load(string name, GgufFile file, IBackend backend, EngineOptions options)
    {
        var model = BertModel.Load(file, backend);
        try
        {
            var tokenizer = TokenizerFactory.FromGguf(file);
            var embedder = new EmbeddingEngine(model, options);
            var hp = model.Hyperparameters;
            var shape = new ModelShape(hp.Architecture, hp.VocabSize, hp.ContextLength, hp.LayerCount, hp.HeadCount, hp.HeadDim, hp.EmbeddingLength);
            var engine = new EmbeddingOnlyEngine(name, hp.Architecture, embedder, [model, backend, file]);
            return new LoadedModel(name, tokenizer, null, engine, shape) { Embedder = embedder };
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
