using ILGPU;

namespace Hearth.Gpu.Kernels;

/// <summary>Warp and group reductions written for any power-of-two warp size (32 on NVIDIA GPUs; the CPU
/// accelerator in tests may simulate narrower warps). Every thread of the warp/group must call them.</summary>
internal static class Reductions
{
    public static float WarpSum(float v)
    {
        for (int mask = Warp.WarpSize / 2; mask > 0; mask /= 2) v += Warp.ShuffleXor(v, mask);
        return v;
    }

    /// <summary>Sum over the whole group, returned to every thread (two barriers, so calls may follow each other).</summary>
    public static float GroupSum(float v)
    {
        var partial = SharedMemory.Allocate<float>(32);
        v = WarpSum(v);
        if (Warp.LaneIdx == 0) partial[Warp.WarpIdx] = v;
        Group.Barrier();
        float total = 0;
        for (int i = 0; i < Group.DimX / Warp.WarpSize; i++) total += partial[i];
        Group.Barrier();
        return total;
    }
}
