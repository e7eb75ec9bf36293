using System.Buffers.Binary;
using System.Text;

namespace Hearth.Core.Gguf;

/// <summary>Serialises GGUF metadata values (little-endian), the inverse of <see cref="GgufReader"/>.</summary>
internal static class GgufValueEncoder
{
    public static void WriteString(Stream s, string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        WriteU64(s, (ulong)bytes.Length);
        s.Write(bytes);
    }

    public static void WriteU32(Stream s, uint v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); s.Write(b); }
    public static void WriteU64(Stream s, ulong v) { Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteUInt64LittleEndian(b, v); s.Write(b); }

    /// <summary>Writes type tag and payload of one metadata value; the CLR type must match <see cref="GgufValue.Type"/>.</summary>
    public static void WriteValue(Stream s, string key, GgufValue v)
    {
        WriteU32(s, (uint)v.Type);
        if (v.Type != GgufValueType.Array)
        {
            WriteScalar(s, key, v.Type, v.Value);
            return;
        }
        if (v.Value is not Array arr)
            throw new ArgumentException($"metadata '{key}': an array value needs a CLR array, got {v.Value.GetType().Name}");
        if (v.ElementType == GgufValueType.Array)
            throw new ArgumentException($"metadata '{key}': nested arrays are not supported");
        WriteU32(s, (uint)v.ElementType);
        WriteU64(s, (ulong)arr.LongLength);
        foreach (object item in arr)
            WriteScalar(s, key, v.ElementType, item);
    }

    private static void WriteScalar(Stream s, string key, GgufValueType type, object value)
    {
        Span<byte> b = stackalloc byte[8];
        switch (type, value)
        {
            case (GgufValueType.UInt8, byte x): s.WriteByte(x); break;
            case (GgufValueType.Int8, sbyte x): s.WriteByte((byte)x); break;
            case (GgufValueType.Bool, bool x): s.WriteByte(x ? (byte)1 : (byte)0); break;
            case (GgufValueType.UInt16, ushort x): BinaryPrimitives.WriteUInt16LittleEndian(b, x); s.Write(b[..2]); break;
            case (GgufValueType.Int16, short x): BinaryPrimitives.WriteInt16LittleEndian(b, x); s.Write(b[..2]); break;
            case (GgufValueType.UInt32, uint x): BinaryPrimitives.WriteUInt32LittleEndian(b, x); s.Write(b[..4]); break;
            case (GgufValueType.Int32, int x): BinaryPrimitives.WriteInt32LittleEndian(b, x); s.Write(b[..4]); break;
            case (GgufValueType.Float32, float x): BinaryPrimitives.WriteSingleLittleEndian(b, x); s.Write(b[..4]); break;
            case (GgufValueType.UInt64, ulong x): BinaryPrimitives.WriteUInt64LittleEndian(b, x); s.Write(b); break;
            case (GgufValueType.Int64, long x): BinaryPrimitives.WriteInt64LittleEndian(b, x); s.Write(b); break;
            case (GgufValueType.Float64, double x): BinaryPrimitives.WriteDoubleLittleEndian(b, x); s.Write(b); break;
            case (GgufValueType.String, string x): WriteString(s, x); break;
            default:
                throw new ArgumentException($"metadata '{key}': a {type} value cannot hold a {value.GetType().Name}");
        }
    }
}
