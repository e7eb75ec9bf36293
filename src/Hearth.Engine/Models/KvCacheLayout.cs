using Hearth.Core.Tensors;

namespace Hearth.Engine.Models;

/// <summary>How a model's paged KV cache is laid out: its layers fall into KV-cache groups, each with its own block
/// pool (<see cref="BlockCounts"/> blocks of <see cref="BlockSize"/> tokens), block tables and slot mapping. The
/// full-attention layers form one group; the layers of each sliding window another, whose pool holds about a window per
/// sequence (vLLM's hybrid KV cache). A model with no sliding layers has a single group.</summary>
/// <param name="LayerGroup">Per layer: its group.</param>
/// <param name="GroupWindows">Per group: its layers' sliding window (0: full attention).</param>
/// <param name="BlockCounts">Per group: blocks in its pool.</param>
public sealed record KvCacheLayout(int BlockSize, KvCacheType Type, int[] LayerGroup, int[] GroupWindows, int[] BlockCounts)
{
    public int GroupCount => GroupWindows.Length;

    /// <summary>Every layer in one group (no sliding-window freeing).</summary>
    public static KvCacheLayout Single(int layerCount, int blockCount, int blockSize, KvCacheType type = KvCacheType.F32) =>
        new(blockSize, type, new int[layerCount], [0], [blockCount]);

    /// <summary>Groups layers by their sliding window (<paramref name="layerWindows"/>, 0 or absent: full attention): the
    /// full-attention group first, then one per window in order of first appearance. With <paramref name="separate"/>
    /// false, one full-attention group of every layer (the cache keeps every block; attention still applies the windows).</summary>
    public static (int[] LayerGroup, int[] GroupWindows) Group(IReadOnlyList<int> layerWindows, int layerCount, bool separate)
    {
        var layerGroup = new int[layerCount];
        if (!separate) return (layerGroup, [0]);
        int WindowOf(int l) => l < layerWindows.Count ? layerWindows[l] : 0;
        var windows = new List<int>();
        for (int l = 0; l < layerCount; l++)
            if (WindowOf(l) == 0) { windows.Add(0); break; }
        for (int l = 0; l < layerCount; l++)
            if (!windows.Contains(WindowOf(l))) windows.Add(WindowOf(l));
        for (int l = 0; l < layerCount; l++) layerGroup[l] = windows.IndexOf(WindowOf(l));
        return (layerGroup, [.. windows]);
    }
}
