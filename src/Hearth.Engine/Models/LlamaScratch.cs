using Hearth.Core.Tensors;

namespace Hearth.Engine.Models;

/// <summary>Activation buffers for up to <see cref="Capacity"/> tokens, reused across Forward calls (grown only
/// when a larger batch arrives) so the hot path allocates nothing.</summary>
internal sealed class LlamaScratch : IDisposable
{
    public LlamaScratch(IBackend b, LlamaHyperparameters hp, int capacity, int logitCapacity)
    {
        Capacity = capacity;
        LogitCapacity = logitCapacity;
        int d = hp.EmbeddingLength, q = hp.HeadCount * hp.HeadDim, kv = hp.KvHeadCount * hp.HeadDim;
        X = b.Allocate(capacity, d);
        Norm = b.Allocate(capacity, d);
        Q = b.Allocate(capacity, q);
        K = b.Allocate(capacity, kv);
        V = b.Allocate(capacity, kv);
        Attention = b.Allocate(capacity, q);
        Out = b.Allocate(capacity, d);
        Gate = b.Allocate(capacity, hp.FeedForwardLength);
        Up = b.Allocate(capacity, hp.FeedForwardLength);
        Final = b.Allocate(Math.Max(1, logitCapacity), d);
        Logits = b.Allocate(Math.Max(1, logitCapacity), hp.VocabSize);
    }

    public int Capacity { get; }
    public int LogitCapacity { get; }
    public Tensor X { get; }
    public Tensor Norm { get; }
    public Tensor Q { get; }
    public Tensor K { get; }
    public Tensor V { get; }
    public Tensor Attention { get; }
    public Tensor Out { get; }
    public Tensor Gate { get; }
    public Tensor Up { get; }
    public Tensor Final { get; }
    public Tensor Logits { get; }

    public void Dispose()
    {
        foreach (var t in new[] { X, Norm, Q, K, V, Attention, Out, Gate, Up, Final, Logits }) t.Dispose();
    }
}
