using Hearth.Core.Gguf;

namespace Hearth.Core.Tensors;

/// <summary>A model weight as stored in a GGUF file: <see cref="Rows"/> (N) rows of <see cref="Columns"/> (K)
/// elements of <see cref="Type"/>. The host copy is the file's memory mapping, read in place; a backend that
/// needs its own copy (a GPU) subclasses this and keeps it alongside.</summary>
public unsafe class Weight
{
    public Weight(string name, GgmlType type, int rows, int columns, byte* data)
    {
        if (!GgmlTypeInfo.TryGetBlock(type, out _, out _))
            throw new NotSupportedException($"weight '{name}' has unsupported type {type}");
        Name = name;
        Type = type;
        Rows = rows;
        Columns = columns;
        Data = data;
        RowBytes = GgmlTypeInfo.RowBytes(type, columns);
    }

    /// <summary>Wraps a GGUF tensor in place (1-D tensors are one row). Valid while the file stays open.</summary>
    public static Weight FromGguf(GgufFile file, GgufTensorInfo info)
    {
        if (info.RowLength > int.MaxValue || info.RowCount > int.MaxValue)
            throw new NotSupportedException($"{file.Path}: tensor '{info.Name}' is too large");
        return new Weight(info.Name, info.Type, (int)info.RowCount, (int)info.RowLength, file.GetTensorPointer(info));
    }

    public string Name { get; }
    public GgmlType Type { get; }
    public int Rows { get; }
    public int Columns { get; }
    /// <summary>Host pointer to the first row (the memory mapping, or caller-owned memory in tests).</summary>
    public byte* Data { get; }
    public long RowBytes { get; }

    /// <summary>Pointer to row <paramref name="row"/>.</summary>
    public byte* Row(int row) => Data + row * RowBytes;
}
