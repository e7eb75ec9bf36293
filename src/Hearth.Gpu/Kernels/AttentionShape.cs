using ILGPU;
using ILGPU.Algorithms;

namespace Hearth.Gpu.Kernels;

/// <summary>Scalar arguments shared by the attention kernels. Block tables are flattened: sequence s's table starts
/// at s · <see cref="TableStride"/>; position p lives in cache row table[p / BlockSize] · BlockSize + p % BlockSize,
/// whose K/V head h occupies columns [h · HeadDim, (h + 1) · HeadDim) of rows of <see cref="KvWidth"/>.
/// The per-head extras (sink logits, ALiBi slopes) travel in one float array: sinks at [0, HeadCount), slopes at
/// [HeadCount, 2 · HeadCount); ALiBi's query positions follow the token positions at <see cref="QueryOffset"/>.</summary>
internal struct AttentionShape
{
    public int HeadCount, KvHeadCount, HeadDim, BlockSize, TableStride, KvWidth;
    /// <summary>Decode: positions per split, and splits per (token, head).</summary>
    public int SplitSize, Splits;
    public float Scale;
    /// <summary>&gt; 0: a token at p sees positions p − SlidingWindow + 1 .. p only.</summary>
    public int SlidingWindow;
    /// <summary>&gt; 0: scores become Softcap · tanh(score · InverseSoftcap) after scaling.</summary>
    public float Softcap, InverseSoftcap;
    /// <summary>Non-zero when the extras hold sink logits / ALiBi slopes.</summary>
    public int HasSinks, HasAlibi;
    /// <summary>Where token t's query position (ALiBi) sits in the positions array: QueryOffset + t.</summary>
    public int QueryOffset;

    /// <summary>Cache element of position <paramref name="p"/>, KV head <paramref name="kvHead"/>, dim 0.</summary>
    public readonly long CacheOffset(ArrayView<int> tables, int sequence, int p, int kvHead)
    {
        int block = tables[(long)sequence * TableStride + p / BlockSize];
        return ((long)block * BlockSize + p % BlockSize) * KvWidth + (long)kvHead * HeadDim;
    }

    /// <summary>First position a token at <paramref name="position"/> attends to.</summary>
    public readonly int FirstVisible(int position) => SlidingWindow > 0 ? Math.Max(0, position - SlidingWindow + 1) : 0;

    /// <summary>A scaled dot product as the CPU backend scores it: softcapped, then ALiBi-biased by the query's distance.</summary>
    public readonly float Finish(float scaledDot, ArrayView<float> extras, int head, int queryPosition, int p)
    {
        float score = scaledDot;
        if (Softcap > 0) score = XMath.Tanh(score * InverseSoftcap) * Softcap;
        if (HasAlibi != 0) score -= extras[HeadCount + head] * Math.Abs(queryPosition - p);
        return score;
    }
}
