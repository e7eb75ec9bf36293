using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hearth.Cpu.Kernels;

/// <summary>Exact integer dot products of short int8 runs (the inner step of the K-quant and Q4_0 kernels).
/// Uses the |a| · sign(b, a) trick so the unsigned×signed byte multiply (maddubs / VNNI) applies; values are
/// within ±127 so the 16-bit pair sums cannot saturate.</summary>
internal static unsafe class DotI8
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Dot32(CpuIsa isa, sbyte* a, sbyte* b)
    {
        if (isa.Use256)
        {
            var va = Vector256.Load(a);
            var vb = Vector256.Load(b);
            var ua = Avx2.Abs(va);
            var sb = Avx2.Sign(vb, va);
            Vector256<int> p = isa.UseVnni
                ? AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, ua, sb)
                : Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(ua, sb), Vector256.Create((short)1));
            return Vector256.Sum(p);
        }
        return Dot16(isa, a, b) + Dot16(isa, a + 16, b + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Dot16(CpuIsa isa, sbyte* a, sbyte* b)
    {
        if (isa.Use128 && Ssse3.IsSupported)
        {
            var va = Vector128.Load(a);
            var vb = Vector128.Load(b);
            var p = Sse2.MultiplyAddAdjacent(Ssse3.MultiplyAddAdjacent(Ssse3.Abs(va), Ssse3.Sign(vb, va)), Vector128.Create((short)1));
            return Vector128.Sum(p);
        }
        int s = 0;
        for (int i = 0; i < 16; i++) s += a[i] * b[i];
        return s;
    }
}
