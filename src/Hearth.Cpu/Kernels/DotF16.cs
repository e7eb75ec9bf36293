using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hearth.Cpu.Kernels;

/// <summary>Dot products of one F16 weight row with F32 activation rows (already rounded to F16, as llama.cpp does)
/// on the rungs below AVX-512; with AVX-512, F16 goes through <see cref="FloatPanelGemm"/> (several tokens) and
/// <see cref="F16Decode"/> (one).</summary>
internal static unsafe class DotF16
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot(CpuIsa isa, ushort* w, int k, float* x, int tokens, float* result, int resultStride)
    {
        for (int t = 0; t < tokens; t++)
            result[(long)t * resultStride] = Single(isa, w, k, x + (long)t * k);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Single(CpuIsa isa, ushort* w, int k, float* x)
    {
        int i = 0;
        float sum = 0;
        if (isa.Use256 && k >= 8)
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
        else if (isa.Use128 && k >= 4)
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
    private static Vector256<float> Load256(ushort* p) => HalfBits.ToFloat(Avx2.ConvertToVector256Int32(Vector128.Load(p)).AsUInt32());
}
