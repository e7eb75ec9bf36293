using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace Hearth.Core.Gguf;

/// <summary>A GGUF v2/v3 file, memory-mapped. Metadata and tensor descriptions are parsed eagerly
/// (and validated against the file size); tensor data stays in the mapping and is read in place.</summary>
public sealed unsafe class GgufFile : IDisposable
{
    private const uint Magic = 0x46554747; // "GGUF" little-endian
    private const long MaxTensors = 1L << 20;
    private const long MaxKeys = 1L << 20;

    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _base;
    private readonly long _length;

    public string Path { get; }
    public uint Version { get; }
    public int Alignment { get; }
    /// <summary>Absolute file offset where tensor data begins.</summary>
    public long DataOffset { get; }
    public IReadOnlyDictionary<string, GgufValue> Metadata { get; }
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }
    private readonly Dictionary<string, GgufTensorInfo> _tensorsByName;

    private GgufFile(string path)
    {
        Path = path;
        var info = new FileInfo(path);
        if (!info.Exists)
            throw new GgufException($"{path}: file not found");
        _length = info.Length;
        if (_length < 24)
            throw new GgufException($"{path}: file is {_length} bytes, too short to be GGUF");

        _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref _base);
        _base += _view.PointerOffset;

        try
        {
            // The header is parsed from a span over the mapping; spans are int-sized, which is plenty
            // for a header (tensor data beyond 2 GiB is reached by pointer, not through this span).
            var headerSpan = new ReadOnlySpan<byte>(_base, (int)Math.Min(_length, int.MaxValue));
            var r = new GgufReader(headerSpan, path);
            uint magic = r.U32("magic");
            if (magic != Magic)
                throw r.Fail($"not a GGUF file (magic 0x{magic:X8})");
            Version = r.U32("version");
            if (Version is not (2 or 3))
                throw r.Fail($"GGUF version {Version} is not supported (2 and 3 are)");
            long tensorCount = r.Count("tensor count", MaxTensors);
            long keyCount = r.Count("metadata key count", MaxKeys);

            var metadata = new Dictionary<string, GgufValue>(StringComparer.Ordinal);
            for (long i = 0; i < keyCount; i++)
            {
                string key = r.String($"metadata key #{i}");
                var type = (GgufValueType)r.U32($"value type of '{key}'");
                if (!metadata.TryAdd(key, r.Value(type, key)))
                    throw r.Fail($"metadata key '{key}' appears twice");
            }
            Metadata = metadata;

            Alignment = 32;
            if (metadata.TryGetValue("general.alignment", out var a))
            {
                long al = a.Value switch
                {
                    byte or sbyte or ushort or short or uint or int or long when !a.IsArray =>
                        Convert.ToInt64(a.Value, System.Globalization.CultureInfo.InvariantCulture),
                    ulong u when u <= int.MaxValue => (long)u,
                    _ => -1,
                };
                if (al <= 0 || al > 1 << 20 || (al & (al - 1)) != 0)
                    throw r.Fail($"general.alignment ({a.Type} {(a.IsArray ? "array" : a.Value)}) is not a power of two up to 1 MiB");
                Alignment = (int)al;
            }

            var raw = new List<(string Name, GgmlType Type, long[] Dims, long Offset)>((int)Math.Min(tensorCount, 4096));
            for (long i = 0; i < tensorCount; i++)
            {
                string name = r.String($"name of tensor #{i}");
                uint nDims = r.U32($"dimension count of tensor '{name}'");
                if (nDims > 4)
                    throw r.Fail($"tensor '{name}' has {nDims} dimensions (at most 4 are allowed)");
                var dims = new long[nDims];
                for (int d = 0; d < nDims; d++)
                {
                    ulong v = r.U64($"dimension {d} of tensor '{name}'");
                    if (v == 0 || v > 1UL << 40)
                        throw r.Fail($"tensor '{name}' has invalid dimension {d} = {v}");
                    dims[d] = (long)v;
                }
                var type = (GgmlType)r.U32($"type of tensor '{name}'");
                ulong offset = r.U64($"offset of tensor '{name}'");
                if (offset > (ulong)_length)
                    throw r.Fail($"tensor '{name}' has offset {offset} beyond the end of the file");
                raw.Add((name, type, dims, (long)offset));
            }

            DataOffset = AlignUp(r.Position, Alignment);
            var tensors = new List<GgufTensorInfo>(raw.Count);
            _tensorsByName = new Dictionary<string, GgufTensorInfo>(StringComparer.Ordinal);
            foreach (var (name, type, dims, offset) in raw)
            {
                if (!GgmlTypeInfo.TryGetBlock(type, out int be, out int bb))
                    throw r.Fail($"tensor '{name}' has unsupported type {(uint)type}");
                long elements = 1;
                foreach (long d in dims)
                {
                    if (elements > long.MaxValue / d)
                        throw r.Fail($"tensor '{name}' has too many elements");
                    elements *= d;
                }
                long rowLength = dims.Length == 0 ? 1 : dims[0];
                if (rowLength % be != 0)
                    throw r.Fail($"tensor '{name}' row length {rowLength} is not a multiple of the {type} block size {be}");
                // Checked against the file size before multiplying, so a corrupt shape cannot overflow.
                if (elements / be > _length / bb)
                    throw r.Fail($"tensor '{name}' ({type}, {elements} elements) is larger than the file ({_length} bytes); the file is truncated or corrupt");
                long bytes = elements / be * bb;
                long absolute = DataOffset + offset;
                if (offset % Alignment != 0)
                    throw r.Fail($"tensor '{name}' offset {offset} is not aligned to {Alignment}");
                if (absolute + bytes > _length)
                    throw r.Fail($"tensor '{name}' ({type}, {bytes} bytes at offset {absolute}) runs past the end of the file ({_length} bytes); the file is truncated");
                if (!_tensorsByName.TryAdd(name, null!))
                    throw r.Fail($"tensor '{name}' appears twice");
                var t = new GgufTensorInfo(name, type, dims, absolute, bytes);
                _tensorsByName[name] = t;
                tensors.Add(t);
            }
            Tensors = tensors;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Opens and validates a GGUF file. Throws <see cref="GgufException"/> naming the file on any problem.</summary>
    public static GgufFile Open(string path)
    {
        try
        {
            return new GgufFile(path);
        }
        catch (GgufException)
        {
            throw;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException
                                      or NotSupportedException or OverflowException or InvalidCastException or FormatException)
        {
            throw new GgufException($"{path}: {e.Message}", e);
        }
    }

    private static long AlignUp(long x, long a) => (x + a - 1) / a * a;

    /// <summary>Tensor by name, or false when absent.</summary>
    public bool TryGetTensor(string name, out GgufTensorInfo tensor) => _tensorsByName.TryGetValue(name, out tensor!);

    /// <summary>Tensor by name; a missing tensor is a <see cref="GgufException"/> naming file and tensor.</summary>
    public GgufTensorInfo GetTensor(string name) =>
        _tensorsByName.TryGetValue(name, out var t) ? t : throw new GgufException($"{Path}: tensor '{name}' is missing");

    /// <summary>Pointer to a tensor's bytes inside the mapping; valid while this file is open.</summary>
    public byte* GetTensorPointer(GgufTensorInfo tensor)
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        return _base + tensor.DataOffset;
    }

    /// <summary>Tells the OS this process no longer needs [<paramref name="start"/>, +<paramref name="bytes"/>) of the
    /// mapping resident, once a backend has copied those bytes into a layout of its own: they leave the process's
    /// resident set (so a copied model is not counted twice) and are read back from the page cache if touched again.
    /// A range outside this file's mapping is refused. Returns the bytes released.</summary>
    public long ReleaseResident(byte* start, long bytes)
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        if (start < _base || bytes < 0 || start + bytes > _base + _length)
            throw new ArgumentOutOfRangeException(nameof(start), $"{Path}: the range to release lies outside the file's mapping");
        return MappedPages.Release(start, bytes);
    }

    /// <summary>A tensor's raw bytes (tensors up to 2 GiB; use <see cref="GetTensorPointer"/> beyond that).</summary>
    public ReadOnlySpan<byte> GetTensorBytes(GgufTensorInfo tensor)
    {
        if (tensor.ByteSize > int.MaxValue)
            throw new NotSupportedException($"{Path}: tensor '{tensor.Name}' is larger than 2 GiB; use GetTensorPointer");
        return new ReadOnlySpan<byte>(GetTensorPointer(tensor), (int)tensor.ByteSize);
    }

    // ---- typed metadata access -------------------------------------------------------------

    public bool Has(string key) => Metadata.ContainsKey(key);

    public string? GetString(string key) => Metadata.TryGetValue(key, out var v) && v.Value is string s ? s : null;

    /// <summary>An integer-typed value of any width, converted; null when absent.</summary>
    public long? GetInteger(string key)
    {
        if (!Metadata.TryGetValue(key, out var v) || v.IsArray) return null;
        return v.Value switch
        {
            byte or sbyte or ushort or short or uint or int or long => Convert.ToInt64(v.Value, System.Globalization.CultureInfo.InvariantCulture),
            ulong u when u <= long.MaxValue => (long)u,
            bool b => b ? 1 : 0,
            _ => throw new GgufException($"{Path}: metadata key '{key}' is {v.Type}, expected an integer"),
        };
    }

    /// <summary>A numeric value as double; null when absent.</summary>
    public double? GetFloat(string key)
    {
        if (!Metadata.TryGetValue(key, out var v) || v.IsArray) return null;
        return v.Value switch
        {
            float f => f,
            double d => d,
            string => throw new GgufException($"{Path}: metadata key '{key}' is a string, expected a number"),
            bool => throw new GgufException($"{Path}: metadata key '{key}' is a bool, expected a number"),
            _ => Convert.ToDouble(v.Value, System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    public bool? GetBool(string key) => Metadata.TryGetValue(key, out var v) && v.Value is bool b ? b : null;

    /// <summary>An array value of the given CLR element type; null when absent or of another type.</summary>
    public T[]? GetArray<T>(string key) => Metadata.TryGetValue(key, out var v) && v.Value is T[] arr ? arr : null;

    public void Dispose()
    {
        if (_base != null)
        {
            _view?.SafeMemoryMappedViewHandle.ReleasePointer();
            _base = null;
        }
        _view?.Dispose();
        _map?.Dispose();
    }
}
