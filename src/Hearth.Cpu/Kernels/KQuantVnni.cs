using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hearth.Cpu.Kernels;

/// <summary>Q4_K and Q6_K rows · Q8_K activation rows straight from the GGUF blocks with AVX-VNNI: the 4- and 6-bit
/// values are unsigned, so they are the u8 operand of vpdpbusd as they come out of the nibbles (no unpacking to
/// memory, no sign fix-up); each 32-value group's 8 partial sums are multiplied by its scale in the vector and the
/// block is reduced once, instead of a horizontal sum per group. Q6_K's −32 offset is taken out through the
/// activation's 16-value sums. The integer sums are exact and the float steps are the same as
/// <see cref="KQuantDot"/>'s, so results are identical to it. Measured on 2048 × 8192 matrices, one token, 2 threads:
/// Q4_K 5.1 → 0.69 ms, Q6_K 7.5 → 0.51 ms against the unpack-then-dot kernel.</summary>
internal static unsafe class KQuantVnni
{
    public static bool Available => CpuFeatures.UseVnni;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Dot(Vector256<byte> q, sbyte* x) =>
        AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, q, Vector256.Load(x));

    /// <summary>One Q4_K row (nb blocks of 256) · one Q8_K activation row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q4_K(byte* row, int nb, sbyte* x, float* dx, int* bsums)
    {
        var low = Vector256.Create((byte)0x0F);
        int* sc = stackalloc int[8];
        int* mn = stackalloc int[8];
        float sum = 0;
        for (int b = 0; b < nb; b++)
        {
            byte* blk = row + (long)b * QuantBlocks.Q4_KBytes;
            float d = HalfBits.ToFloat(*(ushort*)blk), dmin = HalfBits.ToFloat(*(ushort*)(blk + 2));
            byte* s = blk + 4;
            for (int j = 0; j < 4; j++)
            {
                sc[j] = s[j] & 63; mn[j] = s[j + 4] & 63;
                sc[j + 4] = (s[j + 8] & 0xF) | ((s[j] >> 6) << 4);
                mn[j + 4] = (s[j + 8] >> 4) | ((s[j + 4] >> 6) << 4);
            }
            sbyte* xb = x + b * 256;
            var acc = Vector256<int>.Zero;
            for (int j = 0; j < 4; j++)
            {
                var qv = Vector256.Load(blk + 16 + j * 32);
                var lo = qv & low;
                var hi = (qv.AsUInt16() >> 4).AsByte() & low;
                acc += Dot(lo, xb + j * 64) * Vector256.Create(sc[2 * j]);
                acc += Dot(hi, xb + j * 64 + 32) * Vector256.Create(sc[2 * j + 1]);
            }
            int sumi = Vector256.Sum(acc);
            int* bs = bsums + b * 16;
            int summ = 0;
            for (int g = 0; g < 8; g++) summ += mn[g] * (bs[2 * g] + bs[2 * g + 1]);
            sum += dx[b] * d * sumi - dx[b] * dmin * summ;
        }
        return sum;
    }

    /// <summary>One Q6_K row (nb blocks of 256) · one Q8_K activation row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q6_K(byte* row, int nb, sbyte* x, float* dx, int* bsums)
    {
        var low = Vector256.Create((byte)0x0F);
        var two = Vector256.Create((byte)0x03);
        float sum = 0;
        for (int b = 0; b < nb; b++)
        {
            byte* blk = row + (long)b * QuantBlocks.Q6_KBytes;
            sbyte* sc = (sbyte*)(blk + 192);
            float d = HalfBits.ToFloat(*(ushort*)(blk + 208));
            var acc = Vector256<int>.Zero;
            for (int half = 0; half < 2; half++)
            {
                byte* ql = blk + half * 64;
                var l0 = Vector256.Load(ql);
                var l1 = Vector256.Load(ql + 32);
                var h = Vector256.Load(blk + 128 + half * 32);
                var h16 = h.AsUInt16();
                // Values 0..63 (the stored q6 + 32) for elements 0-31, 32-63, 64-95, 96-127 of this half.
                var v1 = (l0 & low) | ((h & two).AsUInt16() << 4).AsByte();
                var v2 = (l1 & low) | (((h16 >> 2).AsByte() & two).AsUInt16() << 4).AsByte();
                var v3 = (l0.AsUInt16() >> 4).AsByte() & low | (((h16 >> 4).AsByte() & two).AsUInt16() << 4).AsByte();
                var v4 = (l1.AsUInt16() >> 4).AsByte() & low | (((h16 >> 6).AsByte() & two).AsUInt16() << 4).AsByte();
                sbyte* xh = x + b * 256 + half * 128;
                sbyte* s = sc + half * 8;
                acc += Dot(v1, xh) * Pair(s[0], s[1]);
                acc += Dot(v2, xh + 32) * Pair(s[2], s[3]);
                acc += Dot(v3, xh + 64) * Pair(s[4], s[5]);
                acc += Dot(v4, xh + 96) * Pair(s[6], s[7]);
            }
            // Σ sc_g · Σ (v − 32)·x = Σ sc_g · v·x − 32 · Σ sc_g · Σ_g x (the activation's 16-value sums).
            int* bs = bsums + b * 16;
            int offset = 0;
            for (int g = 0; g < 16; g++) offset += sc[g] * bs[g];
            int sumi = Vector256.Sum(acc) - 32 * offset;
            sum += dx[b] * d * sumi;
        }
        return sum;
    }

    /// <summary>Scale a for the 16 values in the low 128 bits (int32 lanes 0-3), b for the high ones.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Pair(int a, int b) => Vector256.Create(Vector128.Create(a), Vector128.Create(b));
}
