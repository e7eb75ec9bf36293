using ILGPU;
using ILGPU.Algorithms;

namespace Hearth.Gpu.Kernels;

/// <summary>Element-wise ops as grid-stride loops: residual add, bias add, SwiGLU.</summary>
internal static class ElementwiseKernels
{
    /// <summary>y = a + b over <paramref name="count"/> elements (y may alias a or b).</summary>
    [GpuKernel]
    public static void Add(ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, long count)
    {
        for (long i = Grid.GlobalIndex.X; i < count; i += (long)Grid.DimX * Group.DimX) y[i] = a[i] + b[i];
    }

    /// <summary>y[t, c] += bias[c] over <paramref name="count"/> elements of rows of <paramref name="columns"/>.</summary>
    [GpuKernel]
    public static void AddBias(ArrayView<float> y, ArrayView<float> bias, int columns, long count)
    {
        for (long i = Grid.GlobalIndex.X; i < count; i += (long)Grid.DimX * Group.DimX) y[i] += bias[i % columns];
    }

    /// <summary>y = silu(gate) · up (y may alias gate).</summary>
    [GpuKernel]
    public static void SwiGlu(ArrayView<float> gate, ArrayView<float> up, ArrayView<float> y, long count)
    {
        for (long i = Grid.GlobalIndex.X; i < count; i += (long)Grid.DimX * Group.DimX)
        {
            float g = gate[i];
            y[i] = g / (1.0f + XMath.Exp(-g)) * up[i];
        }
    }

    /// <summary>x (F32) → 16-bit floats (F16 when <paramref name="bfloat"/> is 0, else BF16): GEMM inputs for cuBLAS.</summary>
    [GpuKernel]
    public static void ToHalf(ArrayView<float> x, ArrayView<ushort> y, int bfloat, long count)
    {
        for (long i = Grid.GlobalIndex.X; i < count; i += (long)Grid.DimX * Group.DimX)
            y[i] = bfloat != 0 ? Numbers.FloatToBFloat16(x[i]) : Numbers.FloatToHalf(x[i]);
    }
}
