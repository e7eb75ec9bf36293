using ILGPU;

namespace Hearth.Gpu.Kernels;

/// <summary>Row movement: embedding gather (dequantizing any weight format), row gather, scaled scatter-add, KV-cache writes through the
/// slot mapping. Indices were validated on the host.</summary>
internal static class RowKernels
{
    /// <summary>y[t, :] = table row ids[t], dequantized.</summary>
    [GpuKernel]
    public static void Embed(ArrayView<byte> table, int format, long rowBytes, ArrayView<int> ids, ArrayView<float> y, int columns, long count)
    {
        for (long i = Grid.GlobalIndex.X; i < count; i += (long)Grid.DimX * Group.DimX)
        {
            long t = i / columns;
            int c = (int)(i % columns);
            y[i] = WeightReader.Element(table, format, ids[t] * rowBytes, c);
        }
    }

    /// <summary>destination row i = source row rows[i].</summary>
    [GpuKernel]
    public static void Gather(ArrayView<float> source, ArrayView<int> rows, ArrayView<float> destination, int columns, long count)
    {
        for (long i = Grid.GlobalIndex.X; i < count; i += (long)Grid.DimX * Group.DimX)
            destination[i] = source[rows[i / columns] * (long)columns + i % columns];
    }

    /// <summary>kCache row slots[t] = k row t, vCache row slots[t] = v row t.</summary>
    [GpuKernel]
    public static void WriteKv(ArrayView<float> k, ArrayView<float> v, ArrayView<float> kCache, ArrayView<float> vCache,
        ArrayView<int> slots, int columns, long count)
    {
        for (long i = Grid.GlobalIndex.X; i < count; i += (long)Grid.DimX * Group.DimX)
        {
            long row = slots[i / columns] * (long)columns + i % columns;
            kCache[row] = k[i];
            vCache[row] = v[i];
        }
    }

    /// <summary>destination row rows[i] += factors[i] · source row i, for i &lt; <paramref name="count"/> (MoE expert outputs
    /// back to their tokens, LoRA updates). One thread per column walks the rows in order, so repeated destination rows
    /// neither race nor change the order of the additions.</summary>
    [GpuKernel]
    public static void AddScaledRows(ArrayView<float> source, ArrayView<int> rows, ArrayView<float> factors, ArrayView<float> destination,
        int columns, int count)
    {
        for (long c = Grid.GlobalIndex.X; c < columns; c += (long)Grid.DimX * Group.DimX)
            for (int i = 0; i < count; i++)
                destination[rows[i] * (long)columns + c] += factors[i] * source[(long)i * columns + c];
    }
}
