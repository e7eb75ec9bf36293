using System.Runtime.InteropServices;

namespace Hearth.Cpu.Emitted;

/// <summary>Pages holding emitted machine code: mapped writable, filled, then switched to read + execute (never both
/// writable and executable). Linux only; the code lives for the process, as JIT-compiled code does.</summary>
internal static unsafe partial class ExecutableMemory
{
    private const int ProtRead = 1, ProtWrite = 2, ProtExec = 4;
    private const int MapPrivate = 2, MapAnonymous = 0x20;

    /// <summary>A read-only, executable copy of <paramref name="code"/>.</summary>
    public static byte* Load(byte[] code)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("emitted kernels are built for Linux x64 only");
        nuint size = (nuint)Math.Max(code.Length, 1);
        void* p = Mmap(null, size, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (p == (void*)-1) throw new InvalidOperationException($"mmap of {size} bytes for emitted code failed (errno {Marshal.GetLastPInvokeError()})");
        code.CopyTo(new Span<byte>(p, code.Length));
        if (Mprotect(p, size, ProtRead | ProtExec) != 0)
            throw new InvalidOperationException($"mprotect(read|exec) of emitted code failed (errno {Marshal.GetLastPInvokeError()})");
        return (byte*)p;
    }

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    private static partial int Mprotect(void* address, nuint length, int protection);
}
