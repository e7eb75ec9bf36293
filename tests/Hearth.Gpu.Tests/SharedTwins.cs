namespace Hearth.Gpu.Tests;

/// <summary>One backend pair per simulated device shape for the whole test run: loading the kernels (compiling them for
/// the CPU accelerator) costs seconds, so tests share them. Every GPU test is in the "gpu" collection, so one test uses
/// them at a time.</summary>
internal static class SharedTwins
{
    private static readonly Lazy<Twin> NvidiaLike = new(() => new Twin(warpSize: 32, warpsPerGroup: 4, attentionSplitSize: 8));
    private static readonly Lazy<Twin> Narrow = new(() => new Twin(warpSize: 4, warpsPerGroup: 2, attentionSplitSize: 16));

    /// <summary>32-wide warps, 4 warps per group, decode attention split every 8 positions (so short tests split).</summary>
    public static Twin Nvidia => NvidiaLike.Value;

    /// <summary>4-wide warps, 2 per group: each simulated thread is an OS thread, so whole-model tests use narrow warps
    /// (the kernels take the warp size from the device; PTX compilation covers the 32-wide code).</summary>
    public static Twin NarrowWarps => Narrow.Value;
}

[CollectionDefinition("gpu", DisableParallelization = true)]
public sealed class GpuCollection;
