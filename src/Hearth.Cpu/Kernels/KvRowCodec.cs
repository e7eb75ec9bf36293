using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Hearth.Core.Quants;
using Hearth.Core.Tensors;

namespace Hearth.Cpu.Kernels;

/// <summary>Writes F32 rows into a quantised KV cache (ggml's reference rounding: Core's quantizers) and reads slices of
/// them back as F32 for attention: AVX2 widening for F16 and Q8_0 (the hot types), scalar elsewhere.</summary>
internal static unsafe class KvRowCodec
{
    public static void Encode(KvCacheType type, float* x, int columns, byte* row)
    {
        var src = new ReadOnlySpan<float>(x, columns);
        var dst = new Span<byte>(row, (int)KvCacheTypes.RowBytes(type, columns));
        switch (type)
        {
            case KvCacheType.F16: FloatFormats.QuantizeF16(src, dst); break;
            case KvCacheType.Q8_0: Q8_0.Quantize(src, dst); break;
            case KvCacheType.Q4_0: Q4_0.Quantize(src, dst); break;
            default: throw new ArgumentOutOfRangeException(nameof(type), type, "not a packed KV type");
        }
    }

    /// <summary>y[0..count) = elements [first, first + count) of a row; first and count are multiples of the type's block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode(KvCacheType type, bool avx2, byte* row, int first, int count, float* y)
    {
        switch (type)
        {
            case KvCacheType.F16: DecodeF16(avx2, (ushort*)row + first, count, y); break;
            case KvCacheType.Q8_0: DecodeQ8_0(avx2, row + first / 32 * 34, count / 32, y); break;
            case KvCacheType.Q4_0: DecodeQ4_0(row + first / 32 * 18, count / 32, y); break;
            default: throw new ArgumentOutOfRangeException(nameof(type), type, "not a packed KV type");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DecodeF16(bool avx2, ushort* h, int count, float* y)
    {
        int i = 0;
        if (avx2)
            for (; i + 8 <= count; i += 8)
                HalfBits.ToFloat(Avx2.ConvertToVector256Int32(h + i).AsUInt32()).Store(y + i);
        for (; i < count; i++) y[i] = HalfBits.ToFloat(h[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DecodeQ8_0(bool avx2, byte* blocks, int blockCount, float* y)
    {
        for (int b = 0; b < blockCount; b++, y += 32)
        {
            byte* blk = blocks + b * 34;
            float d = HalfBits.ToFloat(*(ushort*)blk);
            sbyte* q = (sbyte*)(blk + 2);
            if (avx2)
            {
                var dv = Vector256.Create(d);
                for (int j = 0; j < 32; j += 8)
                    (Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(q + j)) * dv).Store(y + j);
            }
            else
                for (int j = 0; j < 32; j++) y[j] = q[j] * d;
        }
    }

    private static void DecodeQ4_0(byte* blocks, int blockCount, float* y)
    {
        for (int b = 0; b < blockCount; b++, y += 32)
        {
            byte* blk = blocks + b * 18;
            float d = HalfBits.ToFloat(*(ushort*)blk);
            byte* q = blk + 2;
            for (int j = 0; j < 16; j++)
            {
                y[j] = ((q[j] & 0xF) - 8) * d;
                y[j + 16] = ((q[j] >> 4) - 8) * d;
            }
        }
    }
}
