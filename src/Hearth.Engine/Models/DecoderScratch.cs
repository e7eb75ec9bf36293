using Hearth.Core.Tensors;

namespace Hearth.Engine.Models;

/// <summary>Activation buffers for up to <see cref="Capacity"/> tokens, reused across Forward calls (grown only
/// when a larger batch arrives) so the hot path allocates nothing.</summary>
internal sealed class DecoderScratch : IDisposable
{
    private readonly Tensor[] _all;

    public DecoderScratch(IBackend b, ModelHyperparameters hp, int feedForward, int capacity, int logitCapacity)
    {
        Capacity = capacity;
        LogitCapacity = logitCapacity;
        int d = hp.EmbeddingLength, q = hp.HeadCount * hp.HeadDim, kv = hp.KvHeadCount * hp.HeadDim;
        _all =
        [
            X = b.Allocate(capacity, d), Norm = b.Allocate(capacity, d), Q = b.Allocate(capacity, q),
            K = b.Allocate(capacity, kv), V = b.Allocate(capacity, kv), Attention = b.Allocate(capacity, q),
            Out = b.Allocate(capacity, d), Gate = b.Allocate(capacity, Math.Max(1, feedForward)),
            Up = b.Allocate(capacity, Math.Max(1, feedForward)),
            Final = b.Allocate(Math.Max(1, logitCapacity), d), Logits = b.Allocate(Math.Max(1, logitCapacity), hp.VocabSize),
        ];
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
        foreach (var t in _all) t.Dispose();
    }
}
