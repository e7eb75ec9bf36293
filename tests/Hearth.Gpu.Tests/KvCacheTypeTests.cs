using Hearth.Core.Tensors;

namespace Hearth.Gpu.Tests;

/// <summary>The GPU kernels read an F32 KV cache only: asking for a smaller element type is a clear NotSupportedException
/// before any device memory is taken, and F32 still allocates.</summary>
[Collection("gpu")]
public sealed class KvCacheTypeTests
{
    [Theory]
    [InlineData(KvCacheType.F16)]
    [InlineData(KvCacheType.Q8_0)]
    [InlineData(KvCacheType.Q4_0)]
    public void SmallerKvTypesAreRefusedWithTheirName(KvCacheType type)
    {
        IBackend gpu = SharedTwins.NarrowWarps.Gpu;
        var e = Assert.Throws<NotSupportedException>(() => gpu.AllocateKvCache(64, 32, type));
        Assert.Contains(KvCacheTypes.Name(type), e.Message);
        Assert.Contains("--device cpu", e.Message);
        using var f32 = gpu.AllocateKvCache(64, 32, KvCacheType.F32);
        Assert.Equal(64, f32.Rows);
    }
}
