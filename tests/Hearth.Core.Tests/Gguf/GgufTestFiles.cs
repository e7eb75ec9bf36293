using Hearth.Core.Gguf;
using Hearth.Core.Quants;

namespace Hearth.Core.Tests.Gguf;

/// <summary>Builds small GGUF files for reader/writer tests in a per-test temporary folder.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "hearth-gguf-" + Guid.NewGuid().ToString("N"));
    public TempDir() => Directory.CreateDirectory(Path);
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose() => Directory.Delete(Path, recursive: true);
}

internal static class GgufTestFiles
{
    /// <summary>Every metadata value type, scalar and array.</summary>
    public static void AddAllValueTypes(GgufWriter w)
    {
        w.Set("u8", new GgufValue(GgufValueType.UInt8, (byte)200));
        w.Set("i8", new GgufValue(GgufValueType.Int8, (sbyte)-100));
        w.Set("u16", new GgufValue(GgufValueType.UInt16, (ushort)60000));
        w.Set("i16", new GgufValue(GgufValueType.Int16, (short)-30000));
        w.SetUInt32("u32", 4_000_000_000);
        w.SetInt32("i32", -2_000_000_000);
        w.SetFloat32("f32", 1.5e-5f);
        w.SetBool("bool", true);
        w.SetString("str", "héllo ✓ 日本");
        w.Set("u64", new GgufValue(GgufValueType.UInt64, ulong.MaxValue - 1));
        w.Set("i64", new GgufValue(GgufValueType.Int64, long.MinValue + 1));
        w.Set("f64", new GgufValue(GgufValueType.Float64, Math.PI));
        w.SetArray("arr.u8", new byte[] { 1, 2, 255 });
        w.SetArray("arr.i8", new sbyte[] { -1, 127 });
        w.SetArray("arr.u16", new ushort[] { 65535 });
        w.SetArray("arr.i16", new short[] { -2, 3 });
        w.SetArray("arr.u32", new uint[] { 7, 8, 9 });
        w.SetArray("arr.i32", new int[] { -7, 0, 9 });
        w.SetArray("arr.f32", new float[] { 0.25f, -1e30f, float.Epsilon });
        w.SetArray("arr.bool", new bool[] { true, false, true });
        w.SetArray("arr.str", new string[] { "a", "", "<|end|>", "▁x" });
        w.SetArray("arr.u64", new ulong[] { 1UL << 60 });
        w.SetArray("arr.i64", new long[] { -(1L << 60) });
        w.SetArray("arr.f64", new double[] { 1e300, -0.5 });
        w.SetArray("arr.empty", Array.Empty<int>());
    }

    public static float[] Values(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
    }

    /// <summary>A small model-like file with a few tensors of different types; returns the path.</summary>
    public static string WriteSmall(string path, int alignment = 32)
    {
        var w = new GgufWriter(alignment);
        w.SetString("general.architecture", "llama");
        AddAllValueTypes(w);
        foreach (var (name, type, dims) in new (string, GgmlType, long[])[]
        {
            ("a.weight", GgmlType.F32, [7]),
            ("b.weight", GgmlType.F16, [64, 3]),
            ("c.weight", GgmlType.Q8_0, [64, 2]),
            ("d.weight", GgmlType.Q4_K, [256, 2]),
        })
        {
            long n = dims.Aggregate(1L, (a, b) => a * b);
            var bytes = new byte[GgmlTypeInfo.RowBytes(type, dims[0]) * (n / dims[0])];
            Quantizer.Quantize(type, Values((int)n, name.Length), bytes);
            w.AddTensor(name, type, dims, bytes);
        }
        w.Write(path);
        return path;
    }
}
