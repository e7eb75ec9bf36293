using ILGPU;

namespace Hearth.Gpu.Kernels;

/// <summary>Matrix kernels for y[t, n] = Σ_k x[t, k] · w[n, k]: GEMV over quantized weights (decode), dequantization
/// of quantized rows to F16 tiles (prefill, then a dense GEMM), and the reference dense GEMM the CPU accelerator runs
/// where CUDA calls cuBLAS.</summary>
internal static class MatMulKernels
{
    /// <summary>Quantized GEMV for a few tokens: one warp per output column n (warps stride over the columns when the
    /// grid is smaller than n); each lane walks sub-blocks of 32 with one scale lookup each (two for Q6_K), then the
    /// warp reduces. Weights are read straight from the GGUF blocks.</summary>
    [GpuKernel]
    public static void QuantGemv(ArrayView<float> x, ArrayView<byte> w, int format, long rowBytes, ArrayView<float> y,
        int rows, int n, int k)
    {
        int warps = Group.DimX / Warp.WarpSize;
        int subBlocks = k / WeightReader.SubBlock;
        for (int column = Grid.IdxX * warps + Warp.WarpIdx; column < n; column += Grid.DimX * warps)
        {
            long rowStart = column * rowBytes;
            for (int t = 0; t < rows; t++)
            {
                long xRow = (long)t * k;
                float acc = 0;
                for (int sb = Warp.LaneIdx; sb < subBlocks; sb += Warp.WarpSize)
                    acc += WeightReader.SubBlockDot(w, format, rowStart, sb, x, xRow + sb * WeightReader.SubBlock);
                acc = Reductions.WarpSum(acc);
                if (Warp.LaneIdx == 0) y[(long)t * n + column] = acc;
            }
        }
    }

    /// <summary>Quantized GEMV for short rows (a few sub-blocks: a warp per column would leave most lanes idle): one
    /// thread per output element walks the whole row, no warp reduction.</summary>
    [GpuKernel]
    public static void QuantGemvShort(ArrayView<float> x, ArrayView<byte> w, int format, long rowBytes, ArrayView<float> y,
        int n, int k, long count)
    {
        int subBlocks = k / WeightReader.SubBlock;
        for (long i = Grid.GlobalIndex.X; i < count; i += (long)Grid.DimX * Group.DimX)
        {
            long t = i / n;
            int column = (int)(i % n);
            float acc = 0;
            for (int sb = 0; sb < subBlocks; sb++)
                acc += WeightReader.SubBlockDot(w, format, column * rowBytes, sb, x, t * k + sb * WeightReader.SubBlock);
            y[i] = acc;
        }
    }

    /// <summary>Rows [firstRow, firstRow + count) of a quantized weight → F16 bits, row-major (a prefill tile).</summary>
    [GpuKernel]
    public static void DequantizeToHalf(ArrayView<byte> w, int format, long rowBytes, int firstRow, int k, ArrayView<ushort> tile, long count)
    {
        for (long i = Grid.GlobalIndex.X; i < count; i += (long)Grid.DimX * Group.DimX)
        {
            long row = firstRow + i / k;
            tile[i] = Numbers.FloatToHalf(WeightReader.Element(w, format, row * rowBytes, (int)(i % k)));
        }
    }

    /// <summary>Reference dense GEMM (F32, F16 or BF16 weights, F32 accumulate): one thread per output element. It computes
    /// what the cuBLAS path computes: activations rounded to the weight's 16-bit type first (as the CPU backend and ggml do).
    /// y has rows of <paramref name="yStride"/> and this call fills columns [column0, column0 + n).</summary>
    [GpuKernel]
    public static void ReferenceGemm(ArrayView<float> x, ArrayView<byte> w, int format, int rows, int n, int k,
        ArrayView<float> y, int yStride, int column0)
    {
        long count = (long)rows * n;
        long rowBytes = WeightReader.RowBytes(format, k);
        for (long i = Grid.GlobalIndex.X; i < count; i += (long)Grid.DimX * Group.DimX)
        {
            long t = i / n;
            int c = (int)(i % n);
            float acc = 0;
            for (int j = 0; j < k; j++) acc += RoundTo(format, x[t * k + j]) * WeightReader.Element(w, format, c * rowBytes, j);
            y[t * yStride + column0 + c] = acc;
        }
    }

    /// <summary>x rounded to the 16-bit type of <paramref name="format"/> (unchanged for F32).</summary>
    public static float RoundTo(int format, float x) => format switch
    {
        (int)WeightFormat.F16 => Numbers.HalfToFloat(Numbers.FloatToHalf(x)),
        (int)WeightFormat.BF16 => Numbers.BFloat16ToFloat(Numbers.FloatToBFloat16(x)),
        _ => x,
    };
}
