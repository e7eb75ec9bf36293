using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace Hearth.Gpu;

/// <summary>An ILGPU context and accelerator: a CUDA GPU (kernels compiled to PTX, GEMMs through cuBLAS), or ILGPU's CPU
/// accelerator simulating an NVIDIA-like device (groups, shared memory, barriers and warps run on CPU threads; the GEMM
/// is the reference kernel). Tests use the simulation; only speed needs the GPU.</summary>
public sealed class GpuDevice : IDisposable
{
    private readonly Context _context;

    private GpuDevice(Context context, Accelerator accelerator, int warpsPerGroup)
    {
        _context = context;
        Accelerator = accelerator;
        WarpsPerGroup = warpsPerGroup;
    }

    public Accelerator Accelerator { get; }

    /// <summary>True on a CUDA GPU; false on the CPU accelerator.</summary>
    public bool IsCuda => Accelerator is CudaAccelerator;

    public int WarpSize => Accelerator.WarpSize;

    /// <summary>Warps per group of the multi-warp kernels (group size = WarpSize × WarpsPerGroup).</summary>
    public int WarpsPerGroup { get; }

    public int GroupSize => WarpSize * WarpsPerGroup;

    public string Name => IsCuda ? $"cuda ({Accelerator.Name}, {Accelerator.MemorySize >> 20} MiB)"
        : $"ilgpu-cpu (simulated {WarpSize}-wide warps)";

    /// <summary>Opens CUDA device <paramref name="ordinal"/>; throws <see cref="GpuUnavailableException"/> with the reason
    /// when libcuda or a device is missing.</summary>
    public static GpuDevice OpenCuda(int ordinal = 0)
    {
        if (!CudaProbe.IsAvailable(out var reason)) throw new GpuUnavailableException(reason);
        var context = Context.Create(b => b.Cuda().EnableAlgorithms().Optimize(OptimizationLevel.O2));
        try
        {
            var devices = context.GetCudaDevices();
            if (ordinal >= devices.Count)
                throw new GpuUnavailableException($"CUDA device {ordinal} does not exist ({devices.Count} found)");
            return new GpuDevice(context, context.CreateCudaAccelerator(ordinal), warpsPerGroup: 4);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>ILGPU's CPU accelerator simulating warps of <paramref name="warpSize"/> threads (32 as on NVIDIA; tests of
    /// whole models use narrower warps, as each simulated thread is an OS thread) and groups of
    /// <paramref name="warpsPerGroup"/> warps.</summary>
    public static GpuDevice OpenSimulated(int warpSize = 32, int warpsPerGroup = 4)
    {
        if (warpSize < 2 || (warpSize & (warpSize - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(warpSize), "must be a power of two ≥ 2");
        ArgumentOutOfRangeException.ThrowIfLessThan(warpsPerGroup, 1);
        var context = Context.Create(b => b.CPU(new CPUDevice(warpSize, warpsPerGroup, 1)).EnableAlgorithms());
        return new GpuDevice(context, context.CreateCPUAccelerator(0, CPUAcceleratorMode.Parallel), warpsPerGroup);
    }

    /// <summary>(free, total) device memory in bytes; null on the CPU accelerator (host memory, sized as on the CPU).</summary>
    public (long Free, long Total)? MemoryInfo()
    {
        if (Accelerator is not CudaAccelerator cuda) return null;
        cuda.Bind();
        CudaException.ThrowIfFailed(CudaAPI.CurrentAPI.GetMemoryInfo(out long free, out long total));
        return (free, total);
    }

    public void Dispose()
    {
        Accelerator.Dispose();
        _context.Dispose();
    }
}

/// <summary>The GPU backend cannot run here (no libcuda, no device); the message says why.</summary>
public sealed class GpuUnavailableException(string message) : Exception(message);
