using Hearth.Core.Tensors;

namespace Hearth.Cpu.Packed;

/// <summary>A weight copied out of the GGUF file mapping into the backend's own memory. Streaming weights from
/// anonymous memory is faster than from the page-cache mapping on the machines we measured (1B-shape F16 decode,
/// 2 threads: 13.2 → 16.7 tokens/s), as llama.cpp's --no-mmap is; the price is the copy at load.</summary>
public sealed unsafe class CopiedWeight : Weight, IDisposable
{
    private byte* _memory;

    private CopiedWeight(Weight source, byte* memory)
        : base(source.Name, source.Type, source.Rows, source.Columns, memory)
    {
        _memory = memory;
    }

    public static CopiedWeight Copy(Weight w)
    {
        long bytes = w.RowBytes * w.Rows;
        byte* memory = HostMemory.Allocate(bytes);
        Buffer.MemoryCopy(w.Data, memory, bytes, bytes);
        return new CopiedWeight(w, memory);
    }

    public void Dispose()
    {
        HostMemory.Free(_memory);
        _memory = null;
    }
}
