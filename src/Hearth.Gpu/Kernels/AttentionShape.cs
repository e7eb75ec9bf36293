namespace Hearth.Gpu.Kernels;

/// <summary>Scalar arguments shared by the attention kernels. Block tables are flattened: sequence s's table starts
/// at s · <see cref="TableStride"/>; position p lives in cache row table[p / BlockSize] · BlockSize + p % BlockSize,
/// whose K/V head h occupies columns [h · HeadDim, (h + 1) · HeadDim) of rows of <see cref="KvWidth"/>.</summary>
internal struct AttentionShape
{
    public int HeadCount, KvHeadCount, HeadDim, BlockSize, TableStride, KvWidth;
    /// <summary>Decode: positions per split, and splits per (token, head).</summary>
    public int SplitSize, Splits;
    public float Scale;

    /// <summary>Cache element of position <paramref name="p"/>, KV head <paramref name="kvHead"/>, dim 0.</summary>
    public readonly long CacheOffset(ILGPU.ArrayView<int> tables, int sequence, int p, int kvHead)
    {
        int block = tables[(long)sequence * TableStride + p / BlockSize];
        return ((long)block * BlockSize + p % BlockSize) * KvWidth + (long)kvHead * HeadDim;
    }
}
