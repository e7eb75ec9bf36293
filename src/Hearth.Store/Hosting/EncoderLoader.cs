using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Core.Tokenizers;
using Hearth.Engine;
using Hearth.Engine.Embeddings;
using Hearth.Engine.Models;
using Hearth.Engine.Models.Bert;

namespace Hearth.Store.Hosting;

/// <summary>Turns an embedding GGUF into a served model: an encoder (bert, nomic-bert) or a decoder with a pooling type
/// (Qwen3-Embedding) on a backend, its tokenizer, an <see cref="EmbeddingEngine"/>, and an
/// <see cref="EmbeddingOnlyEngine"/> that refuses generation.</summary>
public static class EncoderLoader
{
    /// <summary>Whether the file holds an embedding model this loader serves: an encoder architecture, or a decoder
    /// whose metadata names a pooling type.</summary>
    public static bool IsEncoder(GgufFile file)
    {
        var arch = file.GetString("general.architecture") ?? "";
        return BertHyperparameters.Supported.Contains(arch) || file.GetInteger($"{arch}.pooling_type") is > 0;
    }

    /// <summary>Loads the model. On success the returned model owns <paramref name="file"/> and <paramref name="backend"/>
    /// (freed when its engine is disposed); on failure the caller still owns them.</summary>
    public static LoadedModel Load(string name, GgufFile file, IBackend backend, EngineOptions options)
    {
        var arch = file.GetString("general.architecture") ?? "";
        if (!BertHyperparameters.Supported.Contains(arch)) return LoadDecoder(name, file, backend, options, arch);
        var model = BertModel.Load(file, backend);
        try
        {
            var tokenizer = TokenizerFactory.FromGguf(file);
            var embedder = new EmbeddingEngine(model, options);
            var hp = model.Hyperparameters;
            var shape = new ModelShape(hp.Architecture, hp.VocabSize, hp.ContextLength, hp.LayerCount, hp.HeadCount, hp.HeadDim, hp.EmbeddingLength);
            var engine = new EmbeddingOnlyEngine(name, hp.Architecture, embedder, [model, backend, file]);
            return new LoadedModel(name, tokenizer, null, engine, shape) { Embedder = embedder, Rerank = RerankInput.FromGguf(file) };
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static LoadedModel LoadDecoder(string name, GgufFile file, IBackend backend, EngineOptions options, string arch)
    {
        var decoder = DecoderModel.Load(file, backend);
        IEmbeddingModel? model = null;
        try
        {
            model = new DecoderEmbeddingModel(decoder, (PoolingType)file.GetInteger($"{arch}.pooling_type")!.Value, file);
            var tokenizer = TokenizerFactory.FromGguf(file);
            var embedder = new EmbeddingEngine(model, options);
            var engine = new EmbeddingOnlyEngine(name, arch, embedder, [model, backend, file]);
            return new LoadedModel(name, tokenizer, null, engine, decoder.Shape) { Embedder = embedder, Rerank = RerankInput.FromGguf(file) };
        }
        catch
        {
            if (model is not null) model.Dispose(); else decoder.Dispose();
            throw;
        }
    }
}
