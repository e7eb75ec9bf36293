using ILGPU;

namespace Hearth.Gpu.Kernels;

/// <summary>Greedy sampling on the device: one group per row finds the largest value and its column. Each thread scans
/// its strided columns in order keeping the first maximum; a shared-memory tree merges the threads' (value, column)
/// pairs, the lower column winning ties, so the result is the host sampler's argmax (lowest id among equal maxima).
/// The group size must be a power of two (warps of a power of two, WarpsPerGroup a power of two) and at most 1024.</summary>
internal static class ArgMaxKernel
{
    [GpuKernel]
    public static void ArgMax(ArrayView<float> x, int n, ArrayView<int> result)
    {
        var values = SharedMemory.Allocate<float>(1024);
        var columns = SharedMemory.Allocate<int>(1024);
        long start = (long)Grid.IdxX * n;
        int tid = Group.IdxX;
        float best = 0;
        int bestColumn = -1;
        for (int i = tid; i < n; i += Group.DimX)
        {
            float v = x[start + i];
            if (bestColumn < 0 || v > best)
            {
                best = v;
                bestColumn = i;
            }
        }
        values[tid] = best;
        columns[tid] = bestColumn;
        Group.Barrier();
        for (int stride = Group.DimX / 2; stride > 0; stride /= 2)
        {
            if (tid < stride)
            {
                float v = values[tid + stride];
                int c = columns[tid + stride];
                int mine = columns[tid];
                if (c >= 0 && (mine < 0 || v > values[tid] || (v == values[tid] && c < mine)))
                {
                    values[tid] = v;
                    columns[tid] = c;
                }
            }
            Group.Barrier();
        }
        if (tid == 0) result[Grid.IdxX] = columns[0];
    }
}
