using System.Runtime.InteropServices;
using Hearth.Core.Tensors;

namespace Hearth.Cpu;

/// <summary>A KV-cache tensor whose elements are F16, Q8_0 or Q4_0 (an F32 cache is a plain <see cref="CpuTensor"/>):
/// <see cref="Tensor.Rows"/> slots of <see cref="Tensor.Columns"/> elements, each row <see cref="RowBytes"/> bytes.
/// Zeroed lazily by the OS (calloc), as the F32 cache is.</summary>
public sealed unsafe class CpuKvTensor : Tensor
{
    private byte* _data;

    public CpuKvTensor(int rows, int columns, KvCacheType type) : base(rows, columns)
    {
        if (type == KvCacheType.F32) throw new ArgumentException("an F32 KV cache is a CpuTensor", nameof(type));
        if (columns % KvCacheTypes.BlockElements(type) != 0)
            throw new ArgumentException($"a {KvCacheTypes.Name(type)} KV row needs a multiple of {KvCacheTypes.BlockElements(type)} elements; got {columns}");
        Type = type;
        RowBytes = KvCacheTypes.RowBytes(type, columns);
        _data = (byte*)NativeMemory.AllocZeroed((nuint)Math.Max(1, RowBytes * rows));
    }

    public KvCacheType Type { get; }

    public long RowBytes { get; }

    public byte* Row(int row) => (_data != null ? _data : throw new ObjectDisposedException(nameof(CpuKvTensor))) + row * RowBytes;

    public override void Dispose()
    {
        if (_data == null) return;
        NativeMemory.Free(_data);
        _data = null;
    }
}
