using System.Runtime.InteropServices;

namespace Hearth.Cpu.Emitted;

/// <summary>Writes the emitted tile of <see cref="Packed.PackedKQuantWeight"/> (Q4_K, Q5_K in the files' bytes): one
/// 8-row group × 1..4 tokens, <see cref="Packed.KQuantMaddubs"/>'s sums with vpdpbusd. Per 32-column sub-block each
/// token's int32 lanes take one vpdpbusd per 4-column step (the rows' unsigned 4- or 5-bit values against a broadcast of
/// 4 activation bytes), then the rows' 6-bit scales multiply them into the super-block's int32 sums (vpmulld: the same
/// integers the C# kernel's int16 pairs and vpmaddwd give); the mins enter per sub-block through the token's correction
/// and the super-block's sums become floats once, as there, operation for operation.</summary>
internal static class EmittedKQuantCode
{
    // Registers: float accumulators ymm16–19, sub-block int sums ymm20–23, super-block int sums ymm24–27 (per token);
    // ymm0 / ymm10 a step pair's low / high values, ymm1 and ymm6–8 unpacking temporaries, ymm2 a sub-block's scales,
    // ymm3 its mins, ymm4 d, ymm5 dmin, ymm9 0x0F, ymm11 0x3F, ymm12 Q5_K's fifth-bit plane, ymm13 0x30, ymm14 a
    // fifth-bit temporary, ymm15 0x10.
    private static int F(int t) => 16 + t;
    private static int Sub(int t) => 20 + t;
    private static int Int(int t) => 24 + t;
    private const int Low = 0, High = 10, Temp = 1, Scales = 2, Mins = 3, D = 4, DMin = 5;
    private const int Mask0F = 9, Mask3F = 11, Plane = 12, Mask30 = 13, FifthTemp = 14, Mask10 = 15;

    /// <summary>Bytes of values per sub-block: nibbles, and for Q5_K a plane of fifth bits.</summary>
    public static int QuantBytes(bool five) => five ? 160 : 128;

    /// <summary>Bytes of scales per super-block: 8 F16 d, 8 F16 dmin, 12 planes of 8 bytes.</summary>
    public const int SuperScaleBytes = 128;

    /// <summary>Scratch per call: a super-block's unpacked scales and mins, 64 bytes each (8 sub-blocks × 8 rows).</summary>
    public const int ScratchBytes = 128;

    /// <summary>The masks the kernel takes, 64-byte aligned for the process: 0x0F, 0x10, 0x3F, 0x30 (32 bytes each).</summary>
    public static unsafe byte* Constants()
    {
        byte* c = (byte*)NativeMemory.AlignedAlloc(128, 64);
        for (int i = 0; i < 32; i++)
        {
            c[i] = 0x0F;
            c[32 + i] = 0x10;
            c[64 + i] = 0x3F;
            c[96 + i] = 0x30;
        }
        return c;
    }

    public static byte[] Tile(bool five, int tokens)
    {
        var a = new X64Assembler();
        int n = tokens;
        // System V: the argument block (EmittedKernels.TileArgs) arrives in rdi; every register used is caller-saved.
        a.MovLoad(Gpr.Rax, Gpr.Rdi, EmittedKernels.Offsets.Constants);
        a.VmovdquLoad(Mask0F, Gpr.Rax, 0);
        if (five) a.VmovdquLoad(Mask10, Gpr.Rax, 32);
        a.VmovdquLoad(Mask3F, Gpr.Rax, 64);
        a.VmovdquLoad(Mask30, Gpr.Rax, 96);
        // Blocks are super-blocks here; the token scales and corrections (F32 −(token scale)·Σx) are per sub-block,
        // a super-block's token scales all the same; the scratch takes the unpacked scales and mins.
        EmittedTileCode.LoadArguments(a, scratch: true);
        for (int t = 0; t < n; t++) a.Zero(F(t));

        int superLoop = a.Position;
        UnpackScales(a);
        a.Vcvtph2psLoad(D, Gpr.Rcx, 0);
        a.Vcvtph2psLoad(DMin, Gpr.Rcx, 16);
        for (int t = 0; t < n; t++) a.Zero(Int(t));
        a.MovImmediate(Gpr.R8, 8);
        int subLoop = a.Position;
        for (int t = 0; t < n; t++) a.Zero(Sub(t));
        // Multi-token tiles prefetch their values as the other tiles do (one token keeps the hardware's alone):
        // `matmul-batch` on the 1B Q4_K and Q4_K_M, modes alternated in-process (Zen 4, 2 threads, means of 10), with
        // the Q6_K tile's prefetch (EmittedQ6_KCode) against neither: 4 tokens 28.4 vs 33.1 and 28.4 vs 35.5 ms, 16
        // tokens 92.0 vs 103.5 and 87.7 vs 98.2 ms.
        if (n > 1) EmittedTileCode.PrefetchValues(a, QuantBytes(five));
        if (five) a.VmovdquLoad(Plane, Gpr.Rsi, 128);
        for (int i = 0; i < 4; i++)
        {
            // Bytes 32i.. hold step 2i in their low nibbles and step 2i + 1 in their high ones.
            a.VmovdquLoad(Low, Gpr.Rsi, 32 * i);
            a.VpsrlwImmediate(High, Low, 4);
            a.Vpandd(Low, Low, Mask0F);
            a.Vpandd(High, High, Mask0F);
            if (five)
            {
                EmittedTileCode.FifthBits(a, Low, Plane, FifthTemp, Mask10, 2 * i);
                EmittedTileCode.FifthBits(a, High, Plane, FifthTemp, Mask10, 2 * i + 1);
            }
            for (int t = 0; t < n; t++) a.VpdpbusdBroadcast(Sub(t), Low, Gpr.R9, (2 * i * n + t) * 4);
            for (int t = 0; t < n; t++) a.VpdpbusdBroadcast(Sub(t), High, Gpr.R9, ((2 * i + 1) * n + t) * 4);
        }
        a.VpmovzxbdLoad(Scales, Gpr.Rdx, 0);
        for (int t = 0; t < n; t++)
        {
            a.Vpmulld(Sub(t), Sub(t), Scales);
            a.Vpaddd(Int(t), Int(t), Sub(t));
        }
        a.VpmovzxbdLoad(Mins, Gpr.Rdx, 64);
        a.Vcvtdq2ps(Mins, Mins);
        a.Vmulps(Mins, DMin, Mins);
        for (int t = 0; t < n; t++) a.Vfmadd231psBroadcast(F(t), Mins, Gpr.R11, 4 * t);
        a.AddImmediate(Gpr.R9, 32 * n);
        a.AddImmediate(Gpr.Rsi, QuantBytes(five));
        a.AddImmediate(Gpr.R11, 4 * n);
        a.AddImmediate(Gpr.Rdx, 8);
        a.Dec(Gpr.R8);
        a.JumpIfNotZero(subLoop);

        a.AddImmediate(Gpr.Rdx, -64);
        for (int t = 0; t < n; t++)
        {
            a.Vcvtdq2ps(6, Int(t));
            a.VmulpsBroadcast(7, D, Gpr.R10, 4 * t); // the super-block's token scale: its first sub-block's
            a.Vfmadd231ps(F(t), 6, 7);
        }
        a.AddImmediate(Gpr.R10, 32 * n);
        a.AddImmediate(Gpr.Rcx, SuperScaleBytes);
        a.Dec(Gpr.Rax);
        a.JumpIfNotZero(superLoop);
        return EmittedTileCode.Finish(a, n);
    }

    /// <summary>The 8 rows' 6-bit scales and mins of the super-block at rcx into the scratch at rdx, sc[8·sub + r] at
    /// rdx + 0, mn[8·sub + r] at rdx + 64, from the 12 planes (<see cref="Packed.KQuantMaddubs"/>'s Unpack: sub-blocks
    /// 0–3 are the low 6 bits of planes 0–3 (scales) and 4–7 (mins); 4–7 take their low 4 bits from the nibbles of
    /// planes 8–11 and their top 2 from the top bits of planes 0–3 / 4–7).</summary>
    private static void UnpackScales(X64Assembler a)
    {
        const int pa = 6, pb = 7, pc = 8;
        a.VmovdquLoad(pa, Gpr.Rcx, 32);
        a.VmovdquLoad(pb, Gpr.Rcx, 64);
        a.VmovdquLoad(pc, Gpr.Rcx, 96);
        a.Vpandd(Temp, pa, Mask3F);
        a.VmovdquStore(Gpr.Rdx, 0, Temp);
        a.Vpandd(Temp, pb, Mask3F);
        a.VmovdquStore(Gpr.Rdx, 64, Temp);
        a.Vpandd(Temp, pc, Mask0F);
        a.VpsrlwImmediate(pa, pa, 2);
        a.Vpandd(pa, pa, Mask30);
        a.Vpord(Temp, Temp, pa);
        a.VmovdquStore(Gpr.Rdx, 32, Temp);
        a.VpsrlwImmediate(Temp, pc, 4);
        a.Vpandd(Temp, Temp, Mask0F);
        a.VpsrlwImmediate(pb, pb, 2);
        a.Vpandd(pb, pb, Mask30);
        a.Vpord(Temp, Temp, pb);
        a.VmovdquStore(Gpr.Rdx, 96, Temp);
    }

}
