using System.Runtime.InteropServices;

namespace Hearth.Core.Gguf;

/// <summary>Drops pages of a read-only file mapping from this process's resident set (Linux <c>madvise</c>
/// MADV_DONTNEED). For a file-backed mapping that is never written this loses nothing: the pages stay in the page cache
/// and the next read maps them again. It is never applied to anonymous memory, where it would zero the data.</summary>
internal static unsafe partial class MappedPages
{
    private const int MadvDontNeed = 4;
    private const long PageSize = 4096;

    /// <summary>Releases the whole pages inside [start, start + bytes); partial pages at either end stay (a neighbour
    /// may still be read in place). Returns the bytes advised, 0 where the OS has no such call.</summary>
    public static long Release(byte* start, long bytes)
    {
        if (!OperatingSystem.IsLinux() || bytes <= 0) return 0;
        long first = ((long)start + PageSize - 1) & ~(PageSize - 1);
        long end = ((long)start + bytes) & ~(PageSize - 1);
        if (end <= first) return 0;
        // Advisory: a refusal (an old kernel, a locked range) leaves the pages resident, which is only memory.
        return Madvise((void*)first, (nuint)(end - first), MadvDontNeed) == 0 ? end - first : 0;
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);
}
