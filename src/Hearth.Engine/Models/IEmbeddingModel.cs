namespace Hearth.Engine.Models;

/// <summary>How a model turns a sequence's hidden states into one vector (GGUF <c>{arch}.pooling_type</c>,
/// llama.cpp's numbering).</summary>
public enum PoolingType
{
    /// <summary>No pooling (per-token states); not served.</summary>
    None = 0,
    /// <summary>Average of every token's state, CLS and SEP included.</summary>
    Mean = 1,
    /// <summary>The first token's state.</summary>
    Cls = 2,
    /// <summary>The last token's state (decoder embedding models).</summary>
    Last = 3,
    /// <summary>The first token's state through the classification head: a relevance score (rerankers).</summary>
    Rank = 4,
}

/// <summary>Shape facts of an embedding or reranking model.</summary>
/// <param name="OutputLength">Floats per sequence: the embedding width, or the classifier's outputs for rank pooling.</param>
public sealed record EmbeddingShape(string Architecture, int VocabSize, int ContextLength, int EmbeddingLength,
    int OutputLength, PoolingType Pooling);

/// <summary>A model that maps whole sequences to vectors in one pass (encoders: bert, nomic-bert; decoders with
/// last-token pooling). No KV cache is kept between calls: every call is the whole of each sequence.</summary>
public interface IEmbeddingModel : IDisposable
{
    EmbeddingShape Shape { get; }

    /// <summary>Runs the sequences whose token ids are concatenated in <paramref name="tokens"/> (sequence i has
    /// <paramref name="lengths"/>[i] tokens) and writes <see cref="EmbeddingShape.OutputLength"/> floats per sequence,
    /// pooled but not normalised, into <paramref name="output"/>.</summary>
    void Embed(ReadOnlySpan<int> tokens, ReadOnlySpan<int> lengths, Span<float> output);
}
