using System.Runtime.CompilerServices;
using Hearth.Core.Gguf;
using Hearth.Core.Quants;

namespace Hearth.Cpu.Kernels;

/// <summary>Dequantizes one weight row to F32 (embedding lookups; the backend's own, independent of the
/// Core dequantizer the tests use as oracle).</summary>
internal static unsafe class RowDequantizer
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dequantize(GgmlType type, byte* row, int k, float* y)
    {
        switch (type)
        {
            case GgmlType.F32:
                new ReadOnlySpan<float>(row, k).CopyTo(new Span<float>(y, k));
                break;
            case GgmlType.F16:
                for (int i = 0; i < k; i++) y[i] = HalfBits.ToFloat(((ushort*)row)[i]);
                break;
            case GgmlType.BF16:
                for (int i = 0; i < k; i++) y[i] = BitConverter.UInt32BitsToSingle((uint)((ushort*)row)[i] << 16);
                break;
            case GgmlType.Q8_0:
                for (int b = 0; b < k / 32; b++)
                {
                    byte* blk = row + b * QuantBlocks.Q8_0Bytes;
                    float d = HalfBits.ToFloat(*(ushort*)blk);
                    for (int i = 0; i < 32; i++) y[b * 32 + i] = ((sbyte*)(blk + 2))[i] * d;
                }
                break;
            case GgmlType.Q4_0:
            case GgmlType.Q5_0:
            {
                int nb = k / 32;
                var q = new sbyte[k];
                var d = new float[nb];
                fixed (sbyte* qp = q) fixed (float* dp = d)
                {
                    if (type == GgmlType.Q4_0) QuantBlocks.Q4_0(row, nb, qp, dp);
                    else QuantBlocks.Q5_0(row, nb, qp, dp);
                    for (int i = 0; i < k; i++) y[i] = qp[i] * dp[i / 32];
                }
                break;
            }
            case GgmlType.Q4_K:
            {
                int nb = k / 256;
                var q = new sbyte[k];
                var f = new float[2 * nb];
                var s = new int[16 * nb];
                fixed (sbyte* qp = q) fixed (float* fp = f) fixed (int* sp = s)
                {
                    QuantBlocks.Q4_K(row, nb, qp, fp, fp + nb, sp, sp + 8 * nb);
                    for (int i = 0; i < k; i++)
                    {
                        int b = i / 256, g = i / 32;
                        float d1 = fp[b] * sp[g], m1 = fp[nb + b] * sp[8 * nb + g];
                        y[i] = d1 * qp[i] - m1;
                    }
                }
                break;
            }
            case GgmlType.Q6_K:
            {
                int nb = k / 256;
                var q = new sbyte[k];
                var f = new float[nb];
                var s = new int[16 * nb];
                fixed (sbyte* qp = q) fixed (float* fp = f) fixed (int* sp = s)
                {
                    QuantBlocks.Q6_K(row, nb, qp, fp, sp);
                    for (int i = 0; i < k; i++) y[i] = fp[i / 256] * sp[i / 16] * qp[i];
                }
                break;
            }
            default:
                // The formats without an integer row kernel: Core's exact dequantizer (load-time and lookup use only).
                if (!Supports(type)) throw new NotSupportedException($"weight type {type} is not supported by the CPU backend");
                Dequantizer.Dequantize(type, new ReadOnlySpan<byte>(row, checked((int)GgmlTypeInfo.RowBytes(type, k))), new Span<float>(y, k));
                break;
        }
    }

    public static bool Supports(GgmlType type) => type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or
        GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q4_K or GgmlType.Q6_K or
        GgmlType.Q4_1 or GgmlType.Q5_1 or GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q5_K or
        GgmlType.IQ4_NL or GgmlType.IQ4_XS or GgmlType.MXFP4;
}
