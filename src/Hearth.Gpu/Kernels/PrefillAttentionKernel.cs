using ILGPU;
using ILGPU.Algorithms;

namespace Hearth.Gpu.Kernels;

/// <summary>Paged causal attention for prefill chunks, tiled: one group per (query tile, head), one warp per query
/// token of the tile (consecutive tokens of one sequence). The group stages a warp-width chunk of K and V rows in
/// shared memory once and every query of the tile reads it from there (the reuse a prefill needs), with an online
/// softmax per query. Shared memory: K chunk, V chunk (warp × headDim each) and one accumulator row per warp.
/// Tiles are described by four ints each (first token, token count, largest position, smallest first visible position):
/// chunks start at the tile's smallest visible position, so a sliding window skips what no query of the tile sees.
/// A sink logit starts each query's softmax (max = sink, sum = 1).</summary>
internal static class PrefillAttentionKernel
{
    [GpuKernel]
    public static void Tiled(ArrayView<float> q, ArrayView<float> kCache, ArrayView<float> vCache, ArrayView<int> tiles,
        ArrayView<int> positions, ArrayView<int> tokenSequence, ArrayView<int> tables, AttentionShape s, ArrayView<float> extras,
        ArrayView<float> output)
    {
        var shared = SharedMemory.GetDynamic<float>();
        int chunk = Warp.WarpSize;
        int hd = s.HeadDim;
        var kTile = shared.SubView(0, chunk * hd);
        var vTile = shared.SubView(chunk * hd, chunk * hd);
        var acc = shared.SubView(2 * chunk * hd + Warp.WarpIdx * hd, hd);

        int tile = Grid.IdxX / s.HeadCount, head = Grid.IdxX % s.HeadCount;
        int kvHead = head / (s.HeadCount / s.KvHeadCount);
        int first = tiles[4 * tile], maxPos = tiles[4 * tile + 2], minVisible = tiles[4 * tile + 3];
        int seq = tokenSequence[first];
        bool active = Warp.WarpIdx < tiles[4 * tile + 1];
        int t = first + (active ? Warp.WarpIdx : 0);
        int pos = active ? positions[t] : -1;
        int visible = active ? s.FirstVisible(pos) : 0;
        int queryPos = active && s.HasAlibi != 0 ? positions[s.QueryOffset + t] : pos;
        int lane = Warp.LaneIdx;
        long qBase = ((long)t * s.HeadCount + head) * hd;
        for (int d = lane; d < hd; d += chunk) acc[d] = 0;
        float max = DecodeAttentionKernels.NoScore, sum = 0;
        if (s.HasSinks != 0)
        {
            max = extras[head];
            sum = 1;
        }

        for (int c = minVisible; c <= maxPos; c += chunk)
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
            for (int p = Math.Max(c, visible); p <= last; p++)
            {
                long row = (long)(p - c) * hd;
                float dot = 0;
                for (int d = lane; d < hd; d += chunk) dot += q[qBase + d] * kTile[row + d];
                float score = s.Finish(Reductions.WarpSum(dot) * s.Scale, extras, head, queryPos, p);
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
