using System.Buffers.Binary;
using System.Text;

namespace Hearth.Core.Gguf;

/// <summary>Bounds-checked little-endian cursor over the header bytes of a GGUF file.
/// Every read checks the remaining length first, so a truncated or corrupt header
/// becomes a <see cref="GgufException"/> naming the file and offset, never an out-of-range read.</summary>
internal ref struct GgufReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly string _path;
    public long Position;

    // Anything larger is certainly corruption: no real vocabulary or key needs it, and it stops
    // a flipped bit from making us allocate gigabytes.
    private const long MaxStringBytes = 1L << 24;
    private const long MaxArrayElements = 1L << 28;

    public GgufReader(ReadOnlySpan<byte> data, string path)
    {
        _data = data;
        _path = path;
        Position = 0;
    }

    public readonly long Length => _data.Length;

    private ReadOnlySpan<byte> Take(long count, string what)
    {
        if (count < 0 || Position + count > _data.Length)
            throw Fail($"truncated while reading {what} at offset {Position} (needs {count} bytes, file has {_data.Length - Position} left)");
        var span = _data.Slice((int)Position, (int)count);
        Position += count;
        return span;
    }

    public GgufException Fail(string problem) => new($"{_path}: {problem}");

    public byte U8(string what) => Take(1, what)[0];
    public ushort U16(string what) => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, what));
    public uint U32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));
    public ulong U64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));
    public float F32(string what) => BinaryPrimitives.ReadSingleLittleEndian(Take(4, what));
    public double F64(string what) => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, what));

    public long Count(string what, long max)
    {
        ulong n = U64(what);
        if (n > (ulong)max)
            throw Fail($"{what} is {n}, which is implausibly large (corrupt file?)");
        return (long)n;
    }

    public string String(string what)
    {
        long n = Count($"length of {what}", MaxStringBytes);
        var bytes = Take(n, what);
        return Encoding.UTF8.GetString(bytes);
    }

    public GgufValue Value(GgufValueType type, string key)
    {
        return type switch
        {
            GgufValueType.Array => Array(key),
            _ => new GgufValue(type, Scalar(type, key)),
        };
    }

    private object Scalar(GgufValueType type, string key) => type switch
    {
        GgufValueType.UInt8 => U8(key),
        GgufValueType.Int8 => (sbyte)U8(key),
        GgufValueType.UInt16 => U16(key),
        GgufValueType.Int16 => (short)U16(key),
        GgufValueType.UInt32 => U32(key),
        GgufValueType.Int32 => (int)U32(key),
        GgufValueType.Float32 => F32(key),
        GgufValueType.Bool => Bool(key),
        GgufValueType.String => String(key),
        GgufValueType.UInt64 => U64(key),
        GgufValueType.Int64 => (long)U64(key),
        GgufValueType.Float64 => F64(key),
        _ => throw Fail($"metadata key '{key}' has unknown value type {(uint)type}"),
    };

    private bool Bool(string key)
    {
        byte b = U8(key);
        if (b > 1) throw Fail($"metadata key '{key}' has invalid bool byte {b}");
        return b == 1;
    }

    private GgufValue Array(string key)
    {
        var elementType = (GgufValueType)U32($"array type of '{key}'");
        long n = Count($"array length of '{key}'", MaxArrayElements);
        object values = elementType switch
        {
            GgufValueType.UInt8 => Fill<byte>(n, key, elementType),
            GgufValueType.Int8 => Fill<sbyte>(n, key, elementType),
            GgufValueType.UInt16 => Fill<ushort>(n, key, elementType),
            GgufValueType.Int16 => Fill<short>(n, key, elementType),
            GgufValueType.UInt32 => Fill<uint>(n, key, elementType),
            GgufValueType.Int32 => Fill<int>(n, key, elementType),
            GgufValueType.Float32 => Fill<float>(n, key, elementType),
            GgufValueType.Bool => Fill<bool>(n, key, elementType),
            GgufValueType.String => Fill<string>(n, key, elementType),
            GgufValueType.UInt64 => Fill<ulong>(n, key, elementType),
            GgufValueType.Int64 => Fill<long>(n, key, elementType),
            GgufValueType.Float64 => Fill<double>(n, key, elementType),
            GgufValueType.Array => throw Fail($"metadata key '{key}' is a nested array, which Hearth does not support"),
            _ => throw Fail($"metadata key '{key}' is an array of unknown type {(uint)elementType}"),
        };
        return new GgufValue(GgufValueType.Array, values, elementType);
    }

    private T[] Fill<T>(long n, string key, GgufValueType elementType)
    {
        // Each element takes at least one byte: reject lengths the file cannot hold before allocating.
        if (n > _data.Length - Position)
            throw Fail($"array '{key}' claims {n} elements but only {_data.Length - Position} bytes remain");
        var result = new T[n];
        for (long i = 0; i < n; i++)
            result[i] = (T)Scalar(elementType, key);
        return result;
    }
}
