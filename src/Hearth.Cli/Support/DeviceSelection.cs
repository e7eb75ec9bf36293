using Hearth.Core.Tensors;
using Hearth.Cpu;
#if !HEARTH_NO_GPU
using Hearth.Gpu;
#endif

namespace Hearth.Cli.Support;

/// <summary>Where models run: the CPU backend, or the GPU backend on a CUDA device.</summary>
internal enum ComputeDevice { Cpu, Cuda }

/// <summary>The composition root's backend choice (`--device cpu|cuda|auto`): the engine and the models never name a
/// backend, only this does.</summary>
internal static class DeviceSelection
{
    public static readonly string[] Choices = ["auto", "cpu", "cuda"];

    /// <summary>Resolves a --device value; <paramref name="why"/> is the sentence the start-up line states.
    /// `cuda` without a usable CUDA device is an error with the reason; `auto` falls back to the CPU with it.</summary>
    public static ComputeDevice Resolve(string choice, out string why)
    {
        bool cuda = CudaAvailable(out var reason);
        switch (choice.Trim().ToLowerInvariant())
        {
            case "cpu":
                why = "cpu (--device cpu)";
                return ComputeDevice.Cpu;
            case "cuda":
                if (!cuda) throw new CliException($"--device cuda: CUDA is not available here: {reason}. Use --device cpu or auto");
                why = $"cuda (--device cuda; {reason})";
                return ComputeDevice.Cuda;
            case "auto":
                why = cuda ? $"cuda (auto: {reason})" : $"cpu (auto: no CUDA: {reason})";
                return cuda ? ComputeDevice.Cuda : ComputeDevice.Cpu;
            default:
                throw new CliException($"--device must be one of {string.Join(", ", Choices)}, not '{choice}'");
        }
    }

#if HEARTH_NO_GPU
    // The Native AOT build leaves the GPU backend out (ILGPU compiles kernels at run time, which needs the JIT).
    private static bool CudaAvailable(out string reason)
    {
        reason = "this hearth is a Native AOT build, which has no GPU backend (use the .NET tool or the single-file build)";
        return false;
    }

    /// <summary>A new backend on <paramref name="device"/> (the CPU: this build has no other).</summary>
    public static IBackend CreateBackend(ComputeDevice device, int threads) => new CpuBackend(threads);

    /// <summary>Null: no device memory to budget without a GPU backend.</summary>
    public static long? KvCacheBudget(IBackend backend, double utilization) => null;

    /// <summary>Null: no device memory without a GPU backend.</summary>
    public static (long Used, long Total)? DeviceMemory(IBackend backend) => null;
#else
    private static bool CudaAvailable(out string reason) => CudaProbe.IsAvailable(out reason);

    /// <summary>A new backend on <paramref name="device"/>.</summary>
    public static IBackend CreateBackend(ComputeDevice device, int threads) =>
        device == ComputeDevice.Cuda ? new GpuBackend(GpuDevice.OpenCuda()) : new CpuBackend(threads);

    /// <summary>Bytes the KV cache may take on a CUDA device, as vLLM sizes it: utilization × total device memory, minus
    /// what is already in use (the weights just loaded, other processes). Null on the CPU (the engine sizes from host memory).</summary>
    public static long? KvCacheBudget(IBackend backend, double utilization)
    {
        if (backend is not GpuBackend gpu || gpu.Device.MemoryInfo() is not { } memory) return null;
        long used = memory.Total - memory.Free;
        long budget = (long)(memory.Total * utilization) - used;
        if (budget <= 0)
            throw new CliException($"no device memory left for the KV cache: {used >> 20} MiB of {memory.Total >> 20} MiB are in use " +
                $"and --gpu-memory-utilization {utilization} allows {(long)(memory.Total * utilization) >> 20} MiB; raise it or use a smaller model");
        return budget;
    }

    /// <summary>(used, total) device memory of a GPU backend on CUDA, for /metrics; null otherwise.</summary>
    public static (long Used, long Total)? DeviceMemory(IBackend backend) =>
        backend is GpuBackend gpu && gpu.Device.MemoryInfo() is { } m ? (m.Total - m.Free, m.Total) : null;
#endif
}
