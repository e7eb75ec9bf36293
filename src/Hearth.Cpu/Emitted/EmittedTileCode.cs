using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Hearth.Cpu.Packed;

namespace Hearth.Cpu.Emitted;

/// <summary>The packed layouts an emitted tile reads (<see cref="EmittedKernels"/>). Each step's bytes are an unsigned
/// value + offset (vpdpbusd's unsigned operand) against the token's int8 activations; the accumulator starts at
/// −offset·Σx, which takes the offset back out exactly.</summary>
internal enum EmittedFormat
{
    /// <summary><see cref="PackedQ8_0Weight"/> (w + 128 bytes), F16 row scales.</summary>
    Q8_0,
    /// <summary><see cref="PackedTableWeight"/> IQ4_NL / IQ4_XS: nibble indexes looked up as value + 128, F32 row scales.</summary>
    Iq4,
    /// <summary><see cref="PackedTableWeight"/> MXFP4 with F32 row scales (a subnormal block scale somewhere).</summary>
    Mxfp4,
    /// <summary><see cref="PackedTableWeight"/> MXFP4 with the file's exponent bytes (e − 1, the F32 exponent field).</summary>
    Mxfp4Exponents,
    /// <summary><see cref="PackedLegacyWeight"/> Q4_0: nibbles q = w + 8, F16 row scales.</summary>
    Q4_0,
    /// <summary><see cref="PackedLegacyWeight"/> Q5_0: nibbles plus a plane of fifth bits, q = w + 16, F16 row scales.</summary>
    Q5_0,
}

/// <summary>Writes the tile kernels of <see cref="EmittedKernels"/>: one 8-row group × 1..4 tokens, each weight step
/// decoded once for all tokens (the structure of <see cref="PackedGemm"/>'s tile; a two-group tile of one token is two
/// calls, faster where memory-bound, two streams instead of four; from two tokens up most formats take
/// <see cref="EmittedPairCode"/>'s one-pass two-group tile). Per block each token's int32
/// accumulator starts at its correction, takes one vpdpbusd per 4-column step (the group's 32 step bytes against a
/// broadcast of the token's 4 activation bytes), then adds into its float accumulator as fma(float(acc),
/// rowScales·tokenScale, f), the C# tiles' operations in their order.</summary>
internal static unsafe class EmittedTileCode
{
    // Vector registers: float accumulators ymm16–19, int accumulators ymm24–27 (per token); ymm0 / ymm10 the decoded
    // steps, ymm2 the row scales, ymm4/5 temporaries, ymm8 the lookup table, ymm9 the nibble mask, ymm12 Q5_0's
    // fifth-bit plane, ymm14 a fifth-bit temporary, ymm15 the fifth-bit mask.
    private static int F(int t) => 16 + t;
    private static int I(int t) => 24 + t;
    private const int Low = 0, High = 10, Scales = 2, Plane = 12, FifthTemp = 14, FifthMask = 15;

    /// <summary>The lookup table and nibble mask registers, loaded from <see cref="Constants"/> by every generator of
    /// nibble formats (this one's and <see cref="EmittedPairCode"/>'s) and read by <see cref="DecodeNibbles"/>.</summary>
    internal const int Table = 8, NibbleMask = 9;

    /// <summary>Bytes of packed values per group and block.</summary>
    public static int QuantBytes(EmittedFormat f) => f switch { EmittedFormat.Q8_0 => 256, EmittedFormat.Q5_0 => 160, _ => 128 };

    /// <summary>Bytes of row scales per group and block.</summary>
    public static int ScaleBytes(EmittedFormat f) => f switch
    {
        EmittedFormat.Iq4 or EmittedFormat.Mxfp4 => 32,
        EmittedFormat.Mxfp4Exponents => 8,
        _ => 16,
    };

    private static bool Nibbles(EmittedFormat f) => f != EmittedFormat.Q8_0;

    private static bool LooksUp(EmittedFormat f) => f is EmittedFormat.Iq4 or EmittedFormat.Mxfp4 or EmittedFormat.Mxfp4Exponents;

    /// <summary>The format's constants, 64-byte aligned for the process: its lookup table in both 128-bit lanes (value +
    /// 128), the nibble mask, the fifth-bit mask.</summary>
    public static byte* Constants(EmittedFormat f)
    {
        byte* c = (byte*)NativeMemory.AlignedAlloc(96, 64);
        var table = f == EmittedFormat.Iq4 ? Iq4Table.Table : Mxfp4Table.Table;
        for (int i = 0; i < 32; i++)
        {
            c[i] = LooksUp(f) ? table.GetElement(i) : (byte)0;
            c[32 + i] = 0x0F;
            c[64 + i] = 0x10;
        }
        return c;
    }

    public static byte[] Tile(EmittedFormat format, int tokens, bool vbmi)
    {
        var a = new X64Assembler();
        // System V: the argument block's address arrives in rdi; every register used here is caller-saved.
        a.MovLoad(Gpr.Rax, Gpr.Rdi, EmittedKernels.Offsets.Constants);
        if (Nibbles(format))
        {
            a.VmovdquLoad(Table, Gpr.Rax, 0);
            a.VmovdquLoad(NibbleMask, Gpr.Rax, 32);
            if (format == EmittedFormat.Q5_0) a.VmovdquLoad(FifthMask, Gpr.Rax, 64);
        }
        LoadArguments(a, scratch: false);
        for (int t = 0; t < tokens; t++) a.Zero(F(t));
        int loop = a.Position;
        if (tokens > 1) Prefetch(a, QuantBytes(format), ScaleBytes(format));
        for (int t = 0; t < tokens; t++) a.VpbroadcastdLoad(I(t), Gpr.R11, 4 * t);
        if (Nibbles(format)) NibbleSteps(a, format, tokens, vbmi);
        else ByteSteps(a, tokens);
        LoadScales(a, format, Scales, Gpr.Rcx);
        for (int t = 0; t < tokens; t++)
        {
            a.Vcvtdq2ps(4, I(t));
            a.VmulpsBroadcast(5, Scales, Gpr.R10, 4 * t);
            a.Vfmadd231ps(F(t), 4, 5);
        }
        a.AddImmediate(Gpr.Rsi, QuantBytes(format));
        a.AddImmediate(Gpr.Rcx, ScaleBytes(format));
        a.AddImmediate(Gpr.R9, 32 * tokens);
        a.AddImmediate(Gpr.R10, 4 * tokens);
        a.AddImmediate(Gpr.R11, 4 * tokens);
        a.Dec(Gpr.Rax);
        a.JumpIfNotZero(loop);
        return Finish(a, tokens);
    }

    /// <summary>How far ahead of the values being read a multi-token tile prefetches: into L1 (prefetcht0) and, further,
    /// into L2 (prefetcht1); the scales as many blocks ahead as the L2 distance. Where a tile does two to four tokens'
    /// work per byte, the hardware prefetcher alone fell behind: gpt-oss-20b's experts at 16 streams (`moe-batch 4 2 16`,
    /// Zen 4, interleaved runs) took 424–431 ms per step without software prefetch, 349–370 with the values 1.5 KB ahead
    /// into L1, 335–347 with 512 bytes into L1 and 4 KB into L2 (other pairs within noise of these); one thread 727 →
    /// 614 ms with the first. One-token tiles keep the hardware's alone (no gain at one token; 1B Q4_0 decode no
    /// better with it).</summary>
    internal const int L1PrefetchDistance = 512, L2PrefetchDistance = 4096;

    /// <summary>The prefetches of one block for loops that step rsi by <paramref name="quantBytes"/> (values) and rcx by
    /// <paramref name="scaleBytes"/> (scales) per block: every 64-byte line of the values <see cref="L1PrefetchDistance"/>
    /// and <see cref="L2PrefetchDistance"/> bytes ahead, and the scales' line as many blocks ahead as the latter.</summary>
    internal static void Prefetch(X64Assembler a, int quantBytes, int scaleBytes, Gpr quants = Gpr.Rsi, Gpr scales = Gpr.Rcx)
    {
        PrefetchValues(a, quantBytes, quants);
        a.Prefetcht0(scales, L2PrefetchDistance / quantBytes * scaleBytes);
    }

    /// <summary>Every 64-byte line of the <paramref name="bytes"/> of values a loop step reads at <paramref name="values"/>,
    /// <see cref="L1PrefetchDistance"/> bytes ahead into L1 and <see cref="L2PrefetchDistance"/> into L2 (the K-quant
    /// tiles use it for their values alone: their scales come a super-block at a time, a line per several steps).</summary>
    internal static void PrefetchValues(X64Assembler a, int bytes, Gpr values = Gpr.Rsi, int l1 = L1PrefetchDistance, int l2 = L2PrefetchDistance)
    {
        for (int line = 0; line < bytes; line += 64)
        {
            a.Prefetcht0(values, l1 + line);
            a.Prefetcht1(values, l2 + line);
        }
    }

    /// <summary>Every emitted tile's end: the tokens' float accumulators (ymm16 + t, in every generator) to the output at
    /// rdi ([token][8 rows]), vzeroupper, ret; the finished code.</summary>
    internal static byte[] Finish(X64Assembler a, int tokens)
    {
        for (int t = 0; t < tokens; t++) a.VmovupsStore(Gpr.Rdi, 32 * t, F(t));
        a.Vzeroupper();
        a.Ret();
        return a.ToArray();
    }

    /// <summary>The argument block's pointers and count into the registers every emitted tile uses (after the kernel has
    /// read its constants through rdi): rsi the group's values, rcx its scales, r9 the interleaved activations (step s
    /// of token t at 4·(s·tokens + t)), r10 the token scales and r11 the corrections ([block][token]), rdx the scratch
    /// where the kernel takes one, rax the blocks (≥ 1), and rdi, last, the output ([token][8 rows]).</summary>
    internal static void LoadArguments(X64Assembler a, bool scratch)
    {
        a.MovLoad(Gpr.Rsi, Gpr.Rdi, EmittedKernels.Offsets.Quants);
        a.MovLoad(Gpr.Rcx, Gpr.Rdi, EmittedKernels.Offsets.Scales);
        a.MovLoad(Gpr.R9, Gpr.Rdi, EmittedKernels.Offsets.X);
        a.MovLoad(Gpr.R10, Gpr.Rdi, EmittedKernels.Offsets.TokenScales);
        a.MovLoad(Gpr.R11, Gpr.Rdi, EmittedKernels.Offsets.Corrections);
        if (scratch) a.MovLoad(Gpr.Rdx, Gpr.Rdi, EmittedKernels.Offsets.Scratch);
        a.MovLoad(Gpr.Rax, Gpr.Rdi, EmittedKernels.Offsets.Blocks);
        a.MovLoad(Gpr.Rdi, Gpr.Rdi, EmittedKernels.Offsets.Output);
    }

    /// <summary>Q8_0: step j is the block's bytes 32j.. as they are.</summary>
    private static void ByteSteps(X64Assembler a, int tokens)
    {
        for (int j = 0; j < 8; j++)
        {
            a.VmovdquLoad(Low, Gpr.Rsi, 32 * j);
            Dots(a, tokens, j, Low);
        }
    }

    /// <summary>Nibble layouts (<see cref="NibbleLayout"/>): bytes 32i.. hold step 2i in their low nibbles and step 2i + 1
    /// in their high ones; Q5_0 ORs in 16 for step j's bit j of its fifth-bit plane (bytes 128..159), the tables look
    /// the nibbles up.</summary>
    private static void NibbleSteps(X64Assembler a, EmittedFormat format, int tokens, bool vbmi)
    {
        if (format == EmittedFormat.Q5_0) a.VmovdquLoad(Plane, Gpr.Rsi, 128);
        for (int i = 0; i < 4; i++)
        {
            DecodeNibbles(a, format, vbmi, Gpr.Rsi, i, Low, High);
            Dots(a, tokens, 2 * i, Low);
            Dots(a, tokens, 2 * i + 1, High);
        }
    }

    /// <summary>Steps 2i and 2i + 1 of a nibble layout's block at <paramref name="values"/> into <paramref name="low"/>
    /// and <paramref name="high"/> as vpdpbusd's unsigned bytes: the nibbles looked up in the table (ymm8) for the table
    /// formats, or masked (ymm9) and, for Q5_0, given their fifth bits from the plane (ymm12, loaded by the caller).
    /// Every generator of nibble formats decodes through here (<see cref="EmittedPairCode"/> too).</summary>
    internal static void DecodeNibbles(X64Assembler a, EmittedFormat format, bool vbmi, Gpr values, int i, int low, int high)
    {
        a.VmovdquLoad(low, values, 32 * i);
        a.VpsrlwImmediate(high, low, 4);
        if (LooksUp(format) && vbmi)
        {
            // vpermb reads an index's low 5 bits and the table holds its 16 entries twice, so the nibbles need no
            // masking: 4 operations per two steps where vpshufb (which zeroes on bit 7) takes 6.
            a.Vpermb(low, low, Table);
            a.Vpermb(high, high, Table);
            return;
        }
        a.Vpandd(low, low, NibbleMask);
        a.Vpandd(high, high, NibbleMask);
        if (format == EmittedFormat.Q5_0)
        {
            FifthBits(a, low, Plane, FifthTemp, FifthMask, 2 * i);
            FifthBits(a, high, Plane, FifthTemp, FifthMask, 2 * i + 1);
        }
        if (LooksUp(format))
        {
            a.Vpshufb(low, Table, low);
            a.Vpshufb(high, Table, high);
        }
    }

    /// <summary>step |= 16 × (bit j of each plane byte), for the layouts that keep fifth bits in a plane per step (Q5_0,
    /// Q5_K): the plane moved so bit j lands on bit 4 (16-bit lanes; a shift of at most 4 moves no wanted bit across a
    /// byte), masked by <paramref name="mask"/> (0x10 bytes), ORed in.</summary>
    internal static void FifthBits(X64Assembler a, int step, int plane, int temp, int mask, int j)
    {
        if (j < 4) a.VpsllwImmediate(temp, plane, (byte)(4 - j));
        else if (j > 4) a.VpsrlwImmediate(temp, plane, (byte)(j - 4));
        a.Vpandd(temp, j == 4 ? plane : temp, mask);
        a.Vpord(step, step, temp);
    }

    /// <summary>Every token's accumulator takes step <paramref name="j"/>: the step bytes in <paramref name="register"/>
    /// against the token's 4 activation bytes of that step, broadcast from memory.</summary>
    private static void Dots(X64Assembler a, int tokens, int j, int register)
    {
        for (int t = 0; t < tokens; t++) a.VpdpbusdBroadcast(I(t), register, Gpr.R9, (j * tokens + t) * 4);
    }

    /// <summary>The 8 rows' scales of the block as floats: F16 (exact conversion), F32, or exponent bytes shifted into
    /// the F32 exponent field.</summary>
    internal static void LoadScales(X64Assembler a, EmittedFormat format, int dst, Gpr source)
    {
        switch (format)
        {
            case EmittedFormat.Iq4 or EmittedFormat.Mxfp4:
                a.VmovupsLoad(dst, source, 0);
                break;
            case EmittedFormat.Mxfp4Exponents:
                a.VpmovzxbdLoad(dst, source, 0);
                a.VpslldImmediate(dst, dst, 23);
                break;
            default:
                a.Vcvtph2psLoad(dst, source, 0);
                break;
        }
    }
}
