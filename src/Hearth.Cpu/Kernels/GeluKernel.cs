using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hearth.Cpu.Kernels;

/// <summary>GELU, tanh approximation, evaluated the way ggml's CPU backend does it (so BERT embeddings match
/// llama.cpp's): inputs at or below −10 give 0, at or above 10 give x, others are rounded to F16 and looked up in a
/// table of gelu(F16 value) rounded to F16. The table holds the 65,536 results as F32 (256 KB, built once). With AVX2
/// eight values at a time: the F32 → F16 rounding (to nearest even, subnormals included) is done on the bits and the
/// table read with a gather; the scalar cast to Half costs several nanoseconds per value, which made GELU a tenth of
/// an encoder's time.</summary>
internal static unsafe class GeluKernel
{
    private const float SqrtTwoOverPi = 0.79788456080286535587989211986876f;
    private const float CoefficientA = 0.044715f;

    private static readonly float[] Table = Build();

    private static float[] Build()
    {
        var table = new float[1 << 16];
        for (int i = 0; i < table.Length; i++)
        {
            float x = (float)BitConverter.UInt16BitsToHalf((ushort)i);
            float g = 0.5f * x * (1.0f + MathF.Tanh(SqrtTwoOverPi * x * (1.0f + CoefficientA * x * x)));
            table[i] = (float)(Half)g;
        }
        return table;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(CpuIsa isa, float* x, float* y, long n)
    {
        fixed (float* table = Table)
        {
            long i = 0;
            if (isa.Use256 && Avx2.IsSupported)
                for (; i + 8 <= n; i += 8) Eight(table, Vector256.Load(x + i)).Store(y + i);
            for (; i < n; i++)
            {
                float v = x[i];
                y[i] = v <= -10f ? 0f : v >= 10f ? v : table[BitConverter.HalfToUInt16Bits((Half)v)];
            }
        }
    }

    /// <summary>Eight values: the F16 bits of each (round to nearest even, as the Half cast), the table entry there,
    /// then the ±10 cut-offs; NaN passes through.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Eight(float* table, Vector256<float> v)
    {
        var bits = v.AsUInt32();
        var sign = bits & Vector256.Create(0x80000000u);
        var f = bits ^ sign;
        // Normal F16 range: rebias the exponent, round the 13 dropped mantissa bits to nearest even.
        var odd = (f >> 13) & Vector256<uint>.One;
        var normal = (f + Vector256.Create(unchecked((uint)((15 - 127) << 23)) + 0xFFFu) + odd) >> 13;
        // Below 2^-14 (F16 subnormals and zero): adding 0.5 makes the FPU round the value into the low mantissa bits.
        var magic = Vector256.Create(126u << 23);
        var subnormal = (f.AsSingle() + magic.AsSingle()).AsUInt32() - magic;
        var half = Vector256.ConditionalSelect(Vector256.LessThan(f, Vector256.Create(0x38800000u)), subnormal, normal);
        half = ((half | (sign >> 16)) & Vector256.Create(0xFFFFu));
        var g = Avx2.GatherVector256(table, half.AsInt32(), 4);
        g = Vector256.ConditionalSelect(Vector256.LessThanOrEqual(v, Vector256.Create(-10f)), Vector256<float>.Zero, g);
        return Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(v, Vector256.Create(10f)) | ~Vector256.Equals(v, v), v, g);
    }
}
