using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Hearth.Cpu.Kernels;

namespace Hearth.Cpu.Packed;

/// <summary>MXFP4 against one token (decode) on AVX2 without AVX-VNNI: the same sums as <see cref="PackedGemm"/>'s tile
/// with <see cref="NibbleTableFormat{TTable, TDot}"/> and <see cref="Offset128Dot"/> (so the same bits), in about half
/// the instructions. The generic tile, written for four tokens, spends per 4-column step a load, a variable shift and a
/// mask to get one step's nibbles, reloads three constants the JIT does not keep in registers, and computes the dot as
/// XOR, abs, sign, vpmaddubsw, vpmaddwd and add; at one token nothing amortises that, and the kernel was bound by it
/// (gpt-oss-20b experts: about 11 cycles per 2 groups × 4 columns on Zen 3). Here one load gives two steps (low and
/// high nibbles), the table gives the signed values (±12: E2M1 doubled), and each step is vpsignb, vpmaddubsw and a
/// 16-bit add (<see cref="SignedSmallDot"/>'s sum: a block's 8 steps stay within 8 · 2 · 127 · 12 = 24,384), widened
/// once per block.</summary>
internal static unsafe class Mxfp4Decode
{
    /// <summary>Whether this kernel serves a packed MXFP4 tile of one token (it needs AVX2; with AVX-VNNI the generic
    /// tile's vpdpbusd is already one instruction per step).</summary>
    public static bool Serves => Avx2.IsSupported && !AvxVnni.IsSupported;

    /// <summary>y[8g .. 8g+8) for g &lt; groups (1..2) of the token whose activation (plain int8 order, one token's
    /// interleave) is at <paramref name="x"/>, with its per-block scales at <paramref name="xd"/>.</summary>
    public static void Tile(int groups, byte* q, byte* scales, int nb, sbyte* x, float* xd, float* y, int rows)
    {
        if (groups == 2) Tile<Count2>(q, scales, nb, x, xd, y, rows);
        else Tile<Count1>(q, scales, nb, x, xd, y, rows);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TG>(byte* q, byte* scales, int nb, sbyte* x, float* xd, float* y, int rows) where TG : struct, ITileCount
    {
        bool two = TG.N == 2;
        var table = (Mxfp4Table.Table ^ Vector256.Create((byte)0x80)).AsSByte();
        var mask = Vector256.Create((byte)0x0F);
        var f0 = Vector256<float>.Zero;
        var f1 = Vector256<float>.Zero;
        byte* q2 = q + (long)nb * 128;
        float* s0 = (float*)scales, s1 = (float*)scales + (long)nb * 8;
        for (int b = 0; b < nb; b++)
        {
            var a0 = Vector256<short>.Zero;
            var a1 = Vector256<short>.Zero;
            // Bytes 32i.. hold step 2i in their low nibbles and step 2i + 1 in their high ones (NibbleLayout).
            Pair(q, q2, x, 0, table, mask, two, ref a0, ref a1);
            Pair(q, q2, x, 1, table, mask, two, ref a0, ref a1);
            Pair(q, q2, x, 2, table, mask, two, ref a0, ref a1);
            Pair(q, q2, x, 3, table, mask, two, ref a0, ref a1);
            var d = Vector256.Create(xd[b]);
            f0 = Vector256.FusedMultiplyAdd(Avx.ConvertToVector256Single(Widen(a0)), Vector256.Load(s0) * d, f0);
            if (two) f1 = Vector256.FusedMultiplyAdd(Avx.ConvertToVector256Single(Widen(a1)), Vector256.Load(s1) * d, f1);
            q += 128;
            q2 += 128;
            s0 += 8;
            s1 += 8;
            x += 32;
        }
        PackedGemm.Store(f0, y, rows);
        if (two) PackedGemm.Store(f1, y + 8, rows - 8);
    }

    /// <summary>Steps 2i and 2i + 1 of both groups.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pair(byte* q, byte* q2, sbyte* x, int i, Vector256<sbyte> table, Vector256<byte> mask, bool two,
        ref Vector256<short> a0, ref Vector256<short> a1)
    {
        var xa = Vector256.Create(*(int*)(x + 8 * i)).AsSByte();
        var xb = Vector256.Create(*(int*)(x + 8 * i + 4)).AsSByte();
        var ma = Avx2.Abs(xa);
        var mb = Avx2.Abs(xb);
        var raw = Vector256.Load(q + 32 * i);
        var lo = Avx2.Shuffle(table, (raw & mask).AsSByte());
        var hi = Avx2.Shuffle(table, ((raw.AsUInt16() >> 4).AsByte() & mask).AsSByte());
        a0 += Avx2.MultiplyAddAdjacent(ma, Avx2.Sign(lo, xa)) + Avx2.MultiplyAddAdjacent(mb, Avx2.Sign(hi, xb));
        if (!two) return;
        var raw2 = Vector256.Load(q2 + 32 * i);
        var lo2 = Avx2.Shuffle(table, (raw2 & mask).AsSByte());
        var hi2 = Avx2.Shuffle(table, ((raw2.AsUInt16() >> 4).AsByte() & mask).AsSByte());
        a1 += Avx2.MultiplyAddAdjacent(ma, Avx2.Sign(lo2, xa)) + Avx2.MultiplyAddAdjacent(mb, Avx2.Sign(hi2, xb));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Widen(Vector256<short> pairs) => Avx2.MultiplyAddAdjacent(pairs, Vector256.Create((short)1));
}
