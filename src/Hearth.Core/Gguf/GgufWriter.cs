namespace Hearth.Core.Gguf;

/// <summary>Writes a GGUF v3 file: metadata (insertion order), tensor descriptions, then tensor data, each tensor
/// aligned. Tensor bytes come from a callback per tensor, called in order while the file is written, so a model
/// far larger than memory can be streamed. The file is written to a temporary name and renamed into place only
/// when complete, so readers never see a half-written file.</summary>
public sealed class GgufWriter
{
    private readonly List<KeyValuePair<string, GgufValue>> _metadata = [];
    private readonly List<PendingTensor> _tensors = [];
    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);

    /// <summary>Writes a tensor's data: exactly <paramref name="byteSize"/> bytes must be written to the stream.</summary>
    public delegate void TensorDataWriter(Stream output, long byteSize);

    private sealed record PendingTensor(string Name, GgmlType Type, long[] Dimensions, long ByteSize, TensorDataWriter Write)
    {
        public long Offset { get; set; }
    }

    /// <summary>Data alignment in bytes (power of two). A value other than 32 is recorded as general.alignment.</summary>
    public int Alignment { get; }

    public GgufWriter(int alignment = 32)
    {
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0)
            throw new ArgumentException($"alignment {alignment} is not a power of two");
        Alignment = alignment;
        if (alignment != 32)
            Set("general.alignment", new GgufValue(GgufValueType.UInt32, (uint)alignment));
    }

    /// <summary>Sets (or replaces, keeping its position) a metadata value.</summary>
    public GgufWriter Set(string key, GgufValue value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        int i = _metadata.FindIndex(kv => kv.Key == key);
        if (i >= 0) _metadata[i] = new(key, value);
        else _metadata.Add(new(key, value));
        return this;
    }

    public GgufWriter SetString(string key, string value) => Set(key, new GgufValue(GgufValueType.String, value));
    public GgufWriter SetUInt32(string key, uint value) => Set(key, new GgufValue(GgufValueType.UInt32, value));
    public GgufWriter SetInt32(string key, int value) => Set(key, new GgufValue(GgufValueType.Int32, value));
    public GgufWriter SetFloat32(string key, float value) => Set(key, new GgufValue(GgufValueType.Float32, value));
    public GgufWriter SetBool(string key, bool value) => Set(key, new GgufValue(GgufValueType.Bool, value));

    /// <summary>Sets an array value; the element type is inferred from the CLR element type.</summary>
    public GgufWriter SetArray<T>(string key, T[] values) => Set(key, new GgufValue(GgufValueType.Array, values, ElementTypeOf(typeof(T))));

    public IReadOnlyList<KeyValuePair<string, GgufValue>> Metadata => _metadata;

    private static GgufValueType ElementTypeOf(Type t) =>
        t == typeof(byte) ? GgufValueType.UInt8 : t == typeof(sbyte) ? GgufValueType.Int8
        : t == typeof(ushort) ? GgufValueType.UInt16 : t == typeof(short) ? GgufValueType.Int16
        : t == typeof(uint) ? GgufValueType.UInt32 : t == typeof(int) ? GgufValueType.Int32
        : t == typeof(float) ? GgufValueType.Float32 : t == typeof(bool) ? GgufValueType.Bool
        : t == typeof(string) ? GgufValueType.String : t == typeof(ulong) ? GgufValueType.UInt64
        : t == typeof(long) ? GgufValueType.Int64 : t == typeof(double) ? GgufValueType.Float64
        : throw new ArgumentException($"{t.Name} is not a GGUF array element type");

    /// <summary>Declares a tensor (dimensions in ggml order: row length first) whose data the callback writes later.</summary>
    public void AddTensor(string name, GgmlType type, long[] dimensions, TensorDataWriter writeData)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (dimensions.Length is < 1 or > 4 || dimensions.Any(d => d <= 0))
            throw new ArgumentException($"tensor '{name}': dimensions [{string.Join(", ", dimensions)}] are invalid");
        if (!_tensorNames.Add(name))
            throw new ArgumentException($"tensor '{name}' was added twice");
        long rows = dimensions.Skip(1).Aggregate(1L, (a, b) => checked(a * b));
        long bytes = checked(GgmlTypeInfo.RowBytes(type, dimensions[0]) * rows);
        _tensors.Add(new PendingTensor(name, type, (long[])dimensions.Clone(), bytes, writeData));
    }

    /// <summary>Declares a tensor with its data in memory.</summary>
    public void AddTensor(string name, GgmlType type, long[] dimensions, ReadOnlyMemory<byte> data)
    {
        AddTensor(name, type, dimensions, (s, n) =>
        {
            if (data.Length != n)
                throw new ArgumentException($"tensor '{name}' needs {n} bytes, got {data.Length}");
            s.Write(data.Span);
        });
    }

    /// <summary>Writes the file: to "path.tmp-…", then renamed to <paramref name="path"/> (replacing it).
    /// On any failure the temporary file is removed and nothing is left at <paramref name="path"/>'s place changed.</summary>
    public void Write(string path)
    {
        string full = Path.GetFullPath(path);
        string tmp = $"{full}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                WriteTo(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { /* best effort: the original error matters more */ }
            throw;
        }
    }

    private void WriteTo(FileStream fs)
    {
        GgufValueEncoder.WriteU32(fs, 0x46554747); // "GGUF"
        GgufValueEncoder.WriteU32(fs, 3);
        GgufValueEncoder.WriteU64(fs, (ulong)_tensors.Count);
        GgufValueEncoder.WriteU64(fs, (ulong)_metadata.Count);
        foreach (var (key, value) in _metadata)
        {
            GgufValueEncoder.WriteString(fs, key);
            GgufValueEncoder.WriteValue(fs, key, value);
        }
        long offset = 0;
        foreach (var t in _tensors)
        {
            t.Offset = offset;
            GgufValueEncoder.WriteString(fs, t.Name);
            GgufValueEncoder.WriteU32(fs, (uint)t.Dimensions.Length);
            foreach (long d in t.Dimensions) GgufValueEncoder.WriteU64(fs, (ulong)d);
            GgufValueEncoder.WriteU32(fs, (uint)t.Type);
            GgufValueEncoder.WriteU64(fs, (ulong)offset);
            offset = AlignUp(offset + t.ByteSize);
        }
        Pad(fs);
        long dataStart = fs.Position;
        foreach (var t in _tensors)
        {
            long before = fs.Position;
            t.Write(fs, t.ByteSize);
            long written = fs.Position - before;
            if (written != t.ByteSize)
                throw new InvalidOperationException($"tensor '{t.Name}': the data callback wrote {written} bytes, expected {t.ByteSize}");
            Pad(fs);
            if (fs.Position - dataStart != AlignUp(t.Offset + t.ByteSize))
                throw new InvalidOperationException($"tensor '{t.Name}' ended at an unexpected offset");
        }
    }

    private long AlignUp(long x) => (x + Alignment - 1) / Alignment * Alignment;

    private void Pad(Stream s)
    {
        long pad = AlignUp(s.Position) - s.Position;
        for (long i = 0; i < pad; i++) s.WriteByte(0);
    }
}
