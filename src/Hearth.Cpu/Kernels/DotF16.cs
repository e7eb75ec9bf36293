using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hearth.Cpu.Kernels;

/// <summary>Dot products of one F16 weight row with up to four F32 activation rows (already rounded to F16, as
/// llama.cpp does): each 16-wide chunk of weights is widened once and multiplied into every row's accumulator.</summary>
internal static unsafe class DotF16
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot(ushort* w, int k, float* x, int tokens, float* result, int resultStride)
    {
        int t = 0;
        if (CpuFeatures.Use512)
            for (; t + 4 <= tokens; t += 4)
                Tile4x512(w, k, x + (long)t * k, result + (long)t * resultStride, resultStride);
        for (; t < tokens; t++)
            result[(long)t * resultStride] = Single(w, k, x + (long)t * k);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Single(ushort* w, int k, float* x)
    {
        int i = 0;
        float sum = 0;
        if (CpuFeatures.Use512 && k >= 16)
        {
            var a0 = Vector512<float>.Zero; var a1 = Vector512<float>.Zero;
            for (; i + 32 <= k; i += 32)
            {
                a0 = Vector512.FusedMultiplyAdd(Load512(w + i), Vector512.Load(x + i), a0);
                a1 = Vector512.FusedMultiplyAdd(Load512(w + i + 16), Vector512.Load(x + i + 16), a1);
            }
            for (; i + 16 <= k; i += 16)
                a0 = Vector512.FusedMultiplyAdd(Load512(w + i), Vector512.Load(x + i), a0);
            sum = Vector512.Sum(a0 + a1);
        }
        else if (CpuFeatures.Use256 && k >= 8)
        {
            var a0 = Vector256<float>.Zero; var a1 = Vector256<float>.Zero;
            for (; i + 16 <= k; i += 16)
            {
                a0 = Vector256.FusedMultiplyAdd(Load256(w + i), Vector256.Load(x + i), a0);
                a1 = Vector256.FusedMultiplyAdd(Load256(w + i + 8), Vector256.Load(x + i + 8), a1);
            }
            for (; i + 8 <= k; i += 8)
                a0 = Vector256.FusedMultiplyAdd(Load256(w + i), Vector256.Load(x + i), a0);
            sum = Vector256.Sum(a0 + a1);
        }
        else if (CpuFeatures.Use128 && k >= 4)
        {
            var a0 = Vector128<float>.Zero;
            for (; i + 4 <= k; i += 4)
            {
                var h = Vector128.WidenLower(Vector128.CreateScalarUnsafe(*(ulong*)(w + i)).AsUInt16());
                a0 = Vector128.FusedMultiplyAdd(HalfBits.ToFloat(h), Vector128.Load(x + i), a0);
            }
            sum = Vector128.Sum(a0);
        }
        for (; i < k; i++)
            sum = MathF.FusedMultiplyAdd(HalfBits.ToFloat(w[i]), x[i], sum);
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Load512(ushort* p) => HalfBits.ToFloat(Avx512F.ConvertToVector512UInt32(Vector256.Load(p)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Load256(ushort* p) => HalfBits.ToFloat(Avx2.ConvertToVector256Int32(Vector128.Load(p)).AsUInt32());

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x512(ushort* w, int k, float* x, float* result, int resultStride)
    {
        var a0 = Vector512<float>.Zero; var a1 = Vector512<float>.Zero;
        var a2 = Vector512<float>.Zero; var a3 = Vector512<float>.Zero;
        int i = 0;
        for (; i + 16 <= k; i += 16)
        {
            var wv = Load512(w + i);
            a0 = Vector512.FusedMultiplyAdd(wv, Vector512.Load(x + i), a0);
            a1 = Vector512.FusedMultiplyAdd(wv, Vector512.Load(x + k + i), a1);
            a2 = Vector512.FusedMultiplyAdd(wv, Vector512.Load(x + 2 * k + i), a2);
            a3 = Vector512.FusedMultiplyAdd(wv, Vector512.Load(x + 3 * k + i), a3);
        }
        float s0 = Vector512.Sum(a0), s1 = Vector512.Sum(a1), s2 = Vector512.Sum(a2), s3 = Vector512.Sum(a3);
        for (; i < k; i++)
        {
            float wf = HalfBits.ToFloat(w[i]);
            s0 = MathF.FusedMultiplyAdd(wf, x[i], s0);
            s1 = MathF.FusedMultiplyAdd(wf, x[k + i], s1);
            s2 = MathF.FusedMultiplyAdd(wf, x[2 * k + i], s2);
            s3 = MathF.FusedMultiplyAdd(wf, x[3 * k + i], s3);
        }
        result[0] = s0;
        result[resultStride] = s1;
        result[2 * resultStride] = s2;
        result[3 * resultStride] = s3;
    }
}
