using ILGPU;
using ILGPU.Algorithms;

namespace Hearth.Gpu.Kernels;

/// <summary>Paged attention for decode tokens, split over the sequence (flash-decoding): one warp per
/// (token, head, split) walks its split's positions with an online softmax, each lane owning dims lane, lane + warp, …
/// of the accumulator; a second kernel merges the splits (and adds the sink logit to the denominator). Long contexts
/// thus spread over many groups even at batch 1. A sliding window skips the positions before it.</summary>
internal static class DecodeAttentionKernels
{
    /// <summary>Sentinel below any score (−∞ would make exp(m − m') NaN for empty splits).</summary>
    public const float NoScore = -3.0e38f;

    [GpuKernel]
    public static void Partial(ArrayView<float> q, ArrayView<float> kCache, ArrayView<float> vCache, ArrayView<int> tokens,
        ArrayView<int> positions, ArrayView<int> tokenSequence, ArrayView<int> tables, AttentionShape s, ArrayView<float> extras,
        ArrayView<float> partialAcc, ArrayView<float> partialMax, ArrayView<float> partialSum)
    {
        var acc = SharedMemory.GetDynamic<float>();
        int g = Grid.IdxX;
        int split = g % s.Splits;
        int head = g / s.Splits % s.HeadCount;
        int t = tokens[g / s.Splits / s.HeadCount];
        int lane = Group.IdxX;
        int pos = positions[t], seq = tokenSequence[t];
        int queryPos = s.HasAlibi != 0 ? positions[s.QueryOffset + t] : pos;
        int kvHead = head / (s.HeadCount / s.KvHeadCount);
        long qBase = ((long)t * s.HeadCount + head) * s.HeadDim;
        for (int d = lane; d < s.HeadDim; d += Group.DimX) acc[d] = 0;
        float max = NoScore, sum = 0;
        int end = Math.Min(pos + 1, (split + 1) * s.SplitSize);
        for (int p = Math.Max(split * s.SplitSize, s.FirstVisible(pos)); p < end; p++)
        {
            long kv = s.CacheOffset(tables, seq, p, kvHead);
            float dot = 0;
            for (int d = lane; d < s.HeadDim; d += Group.DimX) dot += q[qBase + d] * kCache[kv + d];
            float score = s.Finish(Reductions.WarpSum(dot) * s.Scale, extras, head, queryPos, p);
            float next = Math.Max(max, score);
            float correction = XMath.Exp(max - next), weight = XMath.Exp(score - next);
            sum = sum * correction + weight;
            for (int d = lane; d < s.HeadDim; d += Group.DimX) acc[d] = acc[d] * correction + weight * vCache[kv + d];
            max = next;
        }
        for (int d = lane; d < s.HeadDim; d += Group.DimX) partialAcc[(long)g * s.HeadDim + d] = acc[d];
        if (lane == 0)
        {
            partialMax[g] = max;
            partialSum[g] = sum;
        }
    }

    /// <summary>One warp per (decode token, head): output = Σ_s acc_s · e^(m_s − m) / (Σ_s sum_s · e^(m_s − m) + e^(sink − m)),
    /// the sink term only with sinks (m then starts at the sink).</summary>
    [GpuKernel]
    public static void Combine(ArrayView<float> partialAcc, ArrayView<float> partialMax, ArrayView<float> partialSum,
        ArrayView<int> tokens, AttentionShape s, ArrayView<float> extras, ArrayView<float> output)
    {
        int g = Grid.IdxX;
        int head = g % s.HeadCount;
        int t = tokens[g / s.HeadCount];
        long first = (long)g * s.Splits;
        float max = s.HasSinks != 0 ? extras[head] : NoScore;
        for (int i = 0; i < s.Splits; i++) max = Math.Max(max, partialMax[first + i]);
        float total = s.HasSinks != 0 ? XMath.Exp(extras[head] - max) : 0;
        for (int i = 0; i < s.Splits; i++) total += partialSum[first + i] * XMath.Exp(partialMax[first + i] - max);
        float inv = 1.0f / total;
        for (int d = Group.IdxX; d < s.HeadDim; d += Group.DimX)
        {
            float v = 0;
            for (int i = 0; i < s.Splits; i++)
                v += partialAcc[(first + i) * s.HeadDim + d] * XMath.Exp(partialMax[first + i] - max);
            output[((long)t * s.HeadCount + head) * s.HeadDim + d] = v * inv;
        }
    }
}
