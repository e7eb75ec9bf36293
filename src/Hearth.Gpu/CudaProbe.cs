using System.Runtime.InteropServices;

namespace Hearth.Gpu;

/// <summary>Whether CUDA can be used: libcuda loads and reports at least one device. Asks the driver API directly
/// (cuInit, cuDeviceGetCount), so a machine without the NVIDIA driver gets a clear reason instead of an exception
/// from deep inside ILGPU.</summary>
public static unsafe class CudaProbe
{
    private static readonly Lazy<(bool Ok, string Reason)> Result = new(Probe);

    /// <summary>True when a CUDA device is usable; otherwise <paramref name="reason"/> says what is missing.</summary>
    public static bool IsAvailable(out string reason)
    {
        (bool ok, reason) = Result.Value;
        return ok;
    }

    private static (bool, string) Probe()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsWindows()) return (false, "CUDA needs Linux or Windows");
        string name = OperatingSystem.IsWindows() ? "nvcuda.dll" : "libcuda.so.1";
        if (!NativeLibrary.TryLoad(name, out var lib)) return (false, $"the NVIDIA driver library ({name}) is not installed");
        try
        {
            var init = (delegate* unmanaged<uint, int>)NativeLibrary.GetExport(lib, "cuInit");
            var count = (delegate* unmanaged<int*, int>)NativeLibrary.GetExport(lib, "cuDeviceGetCount");
            int status = init(0);
            if (status != 0) return (false, $"cuInit failed with CUDA error {status} (no usable NVIDIA device?)");
            int devices = 0;
            status = count(&devices);
            if (status != 0 || devices == 0) return (false, "no CUDA device found");
            return (true, $"{devices} CUDA device(s)");
        }
        catch (EntryPointNotFoundException e)
        {
            return (false, $"{name} lacks the driver API: {e.Message}");
        }
    }
}
