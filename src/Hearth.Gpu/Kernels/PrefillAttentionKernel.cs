using ILGPU;
using ILGPU.Algorithms;

namespace Hearth.Gpu.Kernels;

/// <summary>Paged causal attention for prefill chunks, tiled: one group per (query tile, head), one warp per query
/// token of the tile (consecutive tokens of one sequence). The group stages a warp-width chunk of K and V rows in
/// shared memory once and every query of the tile reads it from there (the reuse a prefill needs), with an online
/// softmax per query. Shared memory: K chunk, V chunk (warp × headDim each) and one accumulator row per warp.</summary>
internal static class PrefillAttentionKernel
{
    [GpuKernel]
    public static void Tiled(ArrayView<float> q, ArrayView<float> kCache, ArrayView<float> vCache, ArrayView<int> tileStart,
        ArrayView<int> tileCount, ArrayView<int> tileMaxPosition, ArrayView<int> positions, ArrayView<int> tokenSequence,
        ArrayView<int> tables, AttentionShape s, ArrayView<float> output)
    {
        var shared = SharedMemory.GetDynamic<float>();
        int chunk = Warp.WarpSize;
        int hd = s.HeadDim;
        var kTile = shared.SubView(0, chunk * hd);
        var vTile = shared.SubView(chunk * hd, chunk * hd);
        var acc = shared.SubView(2 * chunk * hd + Warp.WarpIdx * hd, hd);

        int tile = Grid.IdxX / s.HeadCount, head = Grid.IdxX % s.HeadCount;
        int kvHead = head / (s.HeadCount / s.KvHeadCount);
        int first = tileStart[tile], maxPos = tileMaxPosition[tile];
        int seq = tokenSequence[first];
        bool active = Warp.WarpIdx < tileCount[tile];
        int t = first + (active ? Warp.WarpIdx : 0);
        int pos = active ? positions[t] : -1;
        int lane = Warp.LaneIdx;
        long qBase = ((long)t * s.HeadCount + head) * hd;
        for (int d = lane; d < hd; d += chunk) acc[d] = 0;
        float max = DecodeAttentionKernels.NoScore, sum = 0;

        for (int c = 0; c <= maxPos; c += chunk)
        {
            for (int i = Group.IdxX; i < chunk * hd; i += Group.DimX)
            {
                int p = c + i / hd;
                if (p > maxPos) continue;
                long kv = s.CacheOffset(tables, seq, p, kvHead) + i % hd;
                kTile[i] = kCache[kv];
                vTile[i] = vCache[kv];
            }
            Group.Barrier();
            int last = Math.Min(pos, c + chunk - 1);
            for (int p = c; p <= last; p++)
            {
                long row = (long)(p - c) * hd;
                float dot = 0;
                for (int d = lane; d < hd; d += chunk) dot += q[qBase + d] * kTile[row + d];
                float score = Reductions.WarpSum(dot) * s.Scale;
                float next = Math.Max(max, score);
                float correction = XMath.Exp(max - next), weight = XMath.Exp(score - next);
                sum = sum * correction + weight;
                for (int d = lane; d < hd; d += chunk) acc[d] = acc[d] * correction + weight * vTile[row + d];
                max = next;
            }
            Group.Barrier();
        }
        if (!active) return;
        float inv = 1.0f / sum;
        for (int d = lane; d < hd; d += chunk) output[qBase + d] = acc[d] * inv;
    }
}
