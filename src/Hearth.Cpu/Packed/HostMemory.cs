using System.Runtime.InteropServices;

namespace Hearth.Cpu.Packed;

/// <summary>Native memory for weight copies. Large blocks are 2 MB aligned and, on Linux, advised for transparent
/// huge pages so streaming a model's weights every token takes fewer TLB misses; small ones (norms, tiny models)
/// are plain 64-byte aligned so they do not each pin a 2 MB page.</summary>
internal static unsafe partial class HostMemory
{
    private const nuint HugePage = 2 << 20;
    private const int MadvHugePage = 14;

    public static byte* Allocate(long bytes)
    {
        if (bytes < 2 * (long)HugePage) return (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 1), 64);
        nuint size = ((nuint)Math.Max(bytes, 1) + HugePage - 1) / HugePage * HugePage;
        byte* p = (byte*)NativeMemory.AlignedAlloc(size, HugePage);
        // Advisory only: where THP is off or unsupported the kernel declines and the copy still works with 4 KB pages.
        if (OperatingSystem.IsLinux()) _ = Madvise(p, size, MadvHugePage);
        return p;
    }

    public static void Free(byte* p)
    {
        if (p != null) NativeMemory.AlignedFree(p);
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);
}
