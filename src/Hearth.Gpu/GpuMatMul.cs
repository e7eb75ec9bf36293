using Hearth.Gpu.Blas;
using Hearth.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Hearth.Gpu;

/// <summary>y = x · wᵀ on the device. Dense weights (F32/F16/BF16) go to one GEMM: cuBLAS on CUDA (activations
/// converted to the weight's 16-bit type, F32 accumulate), the reference kernel on the CPU accelerator. Quantized weights
/// (Q8_0, Q4_K, Q6_K, MXFP4) take the GEMV kernel for a few tokens (decode: weights read once, straight from the GGUF blocks) and
/// otherwise are dequantized to F16 tiles of rows that then go through the same dense GEMM (prefill).</summary>
internal sealed class GpuMatMul : IDisposable
{
    /// <summary>Up to this many tokens a quantized weight is applied by the GEMV kernel.</summary>
    public const int GemvMaxRows = 4;
    /// <summary>Rows up to this long (8 sub-blocks) take the thread-per-output GEMV: a warp per column would idle most lanes.</summary>
    public const int ShortRow = 256;
    /// <summary>Elements of one F16 dequantization tile (64 MiB).</summary>
    private const long TileElements = 32L << 20;

    private readonly KernelSet _k;
    private readonly CuBlasLibrary? _blas;
    private readonly DeviceScratch<ushort> _tile, _xHalf;

    public GpuMatMul(KernelSet kernels)
    {
        _k = kernels;
        _tile = new DeviceScratch<ushort>(kernels.Device);
        _xHalf = new DeviceScratch<ushort>(kernels.Device);
        if (kernels.Device.Accelerator is CudaAccelerator cuda)
        {
            cuda.Bind();
            _blas = CuBlasLibrary.Open();
            _blas.SetStream(((CudaStream)cuda.DefaultStream).StreamPtr);
        }
    }

    /// <summary>Which GEMM dense weights use: "cublas" or "ilgpu-reference".</summary>
    public string GemmName => _blas != null ? "cublas" : "ilgpu-reference";

    public void Run(GpuTensor x, GpuWeight w, GpuTensor y, int rows)
    {
        if (rows == 0) return;
        int n = w.Rows, k = w.Columns;
        if (w.Format is WeightFormat.Q8_0 or WeightFormat.Q4_K or WeightFormat.Q6_K or WeightFormat.MXFP4)
        {
            if (rows <= GemvMaxRows && k <= ShortRow)
            {
                long count = (long)rows * n;
                _k.QuantGemvShort(_k.Stream, _k.Elements(count), x.View, w.Bytes, (int)w.Format, w.DeviceRowBytes, y.View, n, k, count);
                return;
            }
            if (rows <= GemvMaxRows)
            {
                int warps = _k.Device.WarpsPerGroup;
                _k.QuantGemv(_k.Stream, _k.StridedGroups((n + warps - 1) / warps), x.View, w.Bytes, (int)w.Format, w.DeviceRowBytes, y.View, rows, n, k);
                return;
            }
            int tileRows = (int)Math.Clamp(TileElements / k, 1, n);
            ArrayView<ushort> tile = _tile.Ensure((long)tileRows * k).View;
            for (int n0 = 0; n0 < n; n0 += tileRows)
            {
                int count = Math.Min(tileRows, n - n0);
                long elements = (long)count * k;
                _k.DequantizeToHalf(_k.Stream, _k.Elements(elements), w.Bytes, (int)w.Format, w.DeviceRowBytes, n0, k, tile, elements);
                Dense(x.View, tile.Cast<byte>(), WeightFormat.F16, rows, count, k, y.View, n, n0);
            }
            return;
        }
        Dense(x.View, w.Bytes, w.Format, rows, n, k, y.View, n, 0);
    }

    /// <summary>y[t, column0 + c] = Σ_j x[t, j] · w[c, j] for c &lt; n (y rows of <paramref name="yStride"/>).</summary>
    private void Dense(ArrayView<float> x, ArrayView<byte> w, WeightFormat format, int rows, int n, int k, ArrayView<float> y, int yStride, int column0)
    {
        if (_blas == null)
        {
            _k.ReferenceGemm(_k.Stream, _k.Elements((long)rows * n), x, w, (int)format, rows, n, k, y, yStride, column0);
            return;
        }
        // Column-major view: Yᵀ[n × rows] = W[n × k] · Xᵀ[k × rows]; row-major W is column-major Wᵀ, hence op T.
        IntPtr c = y.SubView((long)column0).LoadEffectiveAddressAsPtr();
        if (format == WeightFormat.F32)
        {
            _blas.GemmEx(CuBlasLibrary.OpT, CuBlasLibrary.OpN, n, rows, k, w.LoadEffectiveAddressAsPtr(), CuBlasLibrary.R32F, k,
                x.LoadEffectiveAddressAsPtr(), CuBlasLibrary.R32F, k, c, CuBlasLibrary.R32F, yStride);
            return;
        }
        int type = format == WeightFormat.BF16 ? CuBlasLibrary.R16BF : CuBlasLibrary.R16F;
        long elements = (long)rows * k;
        ArrayView<ushort> xHalf = _xHalf.Ensure(elements).View;
        _k.ToHalf(_k.Stream, _k.Elements(elements), x, xHalf, format == WeightFormat.BF16 ? 1 : 0, elements);
        _blas.GemmEx(CuBlasLibrary.OpT, CuBlasLibrary.OpN, n, rows, k, w.LoadEffectiveAddressAsPtr(), type, k,
            xHalf.LoadEffectiveAddressAsPtr(), type, k, c, CuBlasLibrary.R32F, yStride);
    }

    public void Dispose()
    {
        _blas?.Dispose();
        _tile.Dispose();
        _xHalf.Dispose();
    }
}
