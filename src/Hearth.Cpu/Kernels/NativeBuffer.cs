using System.Runtime.InteropServices;

namespace Hearth.Cpu.Kernels;

/// <summary>A growable 64-byte-aligned scratch buffer; grows (never shrinks) so steady-state calls allocate nothing.</summary>
internal sealed unsafe class NativeBuffer : IDisposable
{
    private nuint _bytes;

    public byte* Pointer { get; private set; }

    public byte* Ensure(long bytes)
    {
        if ((nuint)bytes > _bytes)
        {
            if (Pointer != null) NativeMemory.AlignedFree(Pointer);
            _bytes = (nuint)Math.Max(bytes, 64) + 64;
            Pointer = (byte*)NativeMemory.AlignedAlloc(_bytes, 64);
        }
        return Pointer;
    }

    public void Dispose()
    {
        if (Pointer != null) NativeMemory.AlignedFree(Pointer);
        Pointer = null;
        _bytes = 0;
    }
}
