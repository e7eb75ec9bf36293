using Hearth.Core.Tensors;

namespace Hearth.Engine.Models.Bert;

/// <summary>Activation buffers for up to <see cref="Capacity"/> tokens and <see cref="SequenceCapacity"/> sequences,
/// reused across calls (grown only when a larger batch arrives).</summary>
internal sealed class BertScratch : IDisposable
{
    public BertScratch(IBackend b, BertHyperparameters hp, int capacity, int sequenceCapacity, int classifierOutputs)
    {
        Capacity = capacity;
        SequenceCapacity = sequenceCapacity;
        int d = hp.EmbeddingLength, f = hp.FeedForwardLength;
        X = b.Allocate(capacity, d);
        Q = b.Allocate(capacity, d);
        K = b.Allocate(capacity, d);
        V = b.Allocate(capacity, d);
        Attention = b.Allocate(capacity, d);
        Out = b.Allocate(capacity, d);
        Up = b.Allocate(capacity, f);
        Gate = b.Allocate(capacity, f);
        PooledX = b.Allocate(sequenceCapacity, d);
        PooledAttention = b.Allocate(sequenceCapacity, d);
        Scores = b.Allocate(sequenceCapacity, Math.Max(1, classifierOutputs));
        Host = new float[(long)capacity * d];
        TokenTypeIds = new int[capacity];
    }

    public int Capacity { get; }
    public int SequenceCapacity { get; }
    public Tensor X { get; }
    public Tensor Q { get; }
    public Tensor K { get; }
    public Tensor V { get; }
    public Tensor Attention { get; }
    public Tensor Out { get; }
    public Tensor Up { get; }
    public Tensor Gate { get; }
    /// <summary>The rows kept for the last layer when the pooling reads one token per sequence (CLS, last, rank).</summary>
    public Tensor PooledX { get; }
    public Tensor PooledAttention { get; }
    /// <summary>Classifier outputs (rank pooling).</summary>
    public Tensor Scores { get; }
    /// <summary>Host copy of the final states, for pooling.</summary>
    public float[] Host { get; }
    /// <summary>All zeros: every token is "sentence A", as llama.cpp hard-codes.</summary>
    public int[] TokenTypeIds { get; }

    public void Dispose()
    {
        foreach (var t in new[] { X, Q, K, V, Attention, Out, Up, Gate, PooledX, PooledAttention, Scores }) t.Dispose();
    }
}
