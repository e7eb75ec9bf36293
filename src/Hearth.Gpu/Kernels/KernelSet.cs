using ILGPU;
using ILGPU.Runtime;

namespace Hearth.Gpu.Kernels;

/// <summary>Every kernel loaded once for one accelerator, with the launch shapes the backend uses: grid-stride kernels
/// get enough groups to fill the device, per-row kernels one group per row.</summary>
internal sealed class KernelSet
{
    public KernelSet(GpuDevice device)
    {
        var a = device.Accelerator;
        Device = device;
        Add = a.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, long>(ElementwiseKernels.Add);
        AddBias = a.LoadKernel<ArrayView<float>, ArrayView<float>, int, long>(ElementwiseKernels.AddBias);
        SwiGlu = a.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, long>(ElementwiseKernels.SwiGlu);
        ToHalf = a.LoadKernel<ArrayView<float>, ArrayView<ushort>, int, long>(ElementwiseKernels.ToHalf);
        Embed = a.LoadKernel<ArrayView<byte>, int, long, ArrayView<int>, ArrayView<float>, int, long>(RowKernels.Embed);
        Gather = a.LoadKernel<ArrayView<float>, ArrayView<int>, ArrayView<float>, int, long>(RowKernels.Gather);
        WriteKv = a.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, long>(RowKernels.WriteKv);
        RmsNorm = a.LoadKernel<ArrayView<float>, ArrayView<float>, int, float, ArrayView<float>>(NormKernels.RmsNorm);
        AddRmsNorm = a.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float, ArrayView<float>>(NormKernels.AddRmsNorm);
        Rope = a.LoadKernel<ArrayView<float>, ArrayView<int>, RopeShape, ArrayView<float>, long>(RopeKernel.Rope);
        DecodePartial = a.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>,
            ArrayView<int>, AttentionShape, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(DecodeAttentionKernels.Partial);
        DecodeCombine = a.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, AttentionShape, ArrayView<float>, ArrayView<float>>(
            DecodeAttentionKernels.Combine);
        PrefillTiled = a.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>,
            ArrayView<int>, AttentionShape, ArrayView<float>, ArrayView<float>>(PrefillAttentionKernel.Tiled);
        LayerNorm = a.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float, ArrayView<float>>(LayerNormKernel.LayerNorm);
        Gelu = a.LoadKernel<ArrayView<float>, ArrayView<float>, long>(ActivationKernels.Gelu);
        GeGlu = a.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, long>(ActivationKernels.GeGlu);
        SwiGluOai = a.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, long>(ActivationKernels.SwiGluOai);
        Scale = a.LoadKernel<ArrayView<float>, float, long>(ActivationKernels.Scale);
        Softcap = a.LoadKernel<ArrayView<float>, float, float, long>(ActivationKernels.Softcap);
        ArgMax = a.LoadKernel<ArrayView<float>, int, ArrayView<int>>(ArgMaxKernel.ArgMax);
        AddScaledRows = a.LoadKernel<ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int>(RowKernels.AddScaledRows);
        QuantGemv = a.LoadKernel<ArrayView<float>, ArrayView<byte>, int, long, ArrayView<float>, int, int, int>(MatMulKernels.QuantGemv);
        QuantGemvShort = a.LoadKernel<ArrayView<float>, ArrayView<byte>, int, long, ArrayView<float>, int, int, long>(MatMulKernels.QuantGemvShort);
        DequantizeToHalf = a.LoadKernel<ArrayView<byte>, int, long, int, int, ArrayView<ushort>, long>(MatMulKernels.DequantizeToHalf);
        ReferenceGemm = a.LoadKernel<ArrayView<float>, ArrayView<byte>, int, int, int, int, ArrayView<float>, int, int>(MatMulKernels.ReferenceGemm);
    }

    public GpuDevice Device { get; }
    public AcceleratorStream Stream => Device.Accelerator.DefaultStream;

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, long> Add { get; }
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, int, long> AddBias { get; }
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, long> SwiGlu { get; }
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<ushort>, int, long> ToHalf { get; }
    public Action<AcceleratorStream, KernelConfig, ArrayView<byte>, int, long, ArrayView<int>, ArrayView<float>, int, long> Embed { get; }
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, long> Gather { get; }
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, long> WriteKv { get; }
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, int, float, ArrayView<float>> RmsNorm { get; }
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float, ArrayView<float>> AddRmsNorm { get; }
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<int>, RopeShape, ArrayView<float>, long> Rope { get; }
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>,
        ArrayView<int>, AttentionShape, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> DecodePartial { get; }
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, AttentionShape, ArrayView<float>,
        ArrayView<float>> DecodeCombine { get; }
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>,
        ArrayView<int>, AttentionShape, ArrayView<float>, ArrayView<float>> PrefillTiled { get; }
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float, ArrayView<float>> LayerNorm { get; }
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, long> Gelu { get; }
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, long> GeGlu { get; }
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, long> SwiGluOai { get; }
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, float, long> Scale { get; }
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, float, float, long> Softcap { get; }
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int> AddScaledRows { get; }
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, int, ArrayView<int>> ArgMax { get; }
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<byte>, int, long, ArrayView<float>, int, int, int> QuantGemv { get; }
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<byte>, int, long, ArrayView<float>, int, int, long> QuantGemvShort { get; }
    public Action<AcceleratorStream, KernelConfig, ArrayView<byte>, int, long, int, int, ArrayView<ushort>, long> DequantizeToHalf { get; }
    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<byte>, int, int, int, int, ArrayView<float>, int, int> ReferenceGemm { get; }

    /// <summary>Grid-stride launch shape for <paramref name="work"/> items.</summary>
    public KernelConfig Elements(long work)
    {
        int group = Device.GroupSize;
        long groups = Math.Clamp((work + group - 1) / group, 1, Device.IsCuda ? 65_535 : 64);
        return new KernelConfig((int)groups, group);
    }

    /// <summary>Up to one group of the standard size per item, capped like <see cref="Elements"/> (the kernel strides over
    /// the rest): on the CPU accelerator every group is a round of OS-thread barriers, so tens of thousands cost seconds.</summary>
    public KernelConfig StridedGroups(int items) =>
        new((int)Math.Clamp(items, 1, Device.IsCuda ? 65_535 : 64), Device.GroupSize);

    /// <summary>One group of the standard size per item (rows, norm groups, output tiles).</summary>
    public KernelConfig PerGroup(int groups) => new(Math.Max(1, groups), Device.GroupSize);

    /// <summary>One warp per item, with <paramref name="sharedFloats"/> of dynamic shared memory (0: a kernel without).</summary>
    public KernelConfig PerWarp(int groups, int sharedFloats) => sharedFloats == 0
        ? new(Math.Max(1, groups), Device.WarpSize)
        : new(new Index1D(Math.Max(1, groups)), new Index1D(Device.WarpSize), SharedMemoryConfig.RequestDynamic<float>(sharedFloats));
}
