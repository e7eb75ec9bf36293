namespace Hearth.Core.Gguf;

/// <summary>GGUF metadata value types, numbered as in the file format.</summary>
public enum GgufValueType : uint
{
    UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7,
    String = 8, Array = 9, UInt64 = 10, Int64 = 11, Float64 = 12,
}

/// <summary>One metadata value. Scalars are boxed CLR values (byte, sbyte, ushort, short, uint, int, float,
/// bool, string, ulong, long, double); arrays are typed CLR arrays of those (string[], float[], int[] …).</summary>
public sealed record GgufValue(GgufValueType Type, object Value, GgufValueType ElementType = GgufValueType.UInt8)
{
    public bool IsArray => Type == GgufValueType.Array;
}
