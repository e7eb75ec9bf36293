using System.Runtime.InteropServices;
using Hearth.Cpu.Packed;

namespace Hearth.Cpu.Emitted;

/// <summary>Writes the emitted tile of <see cref="Packed.PackedQ6_KWeight"/> (Q6_K in the file's bytes): one 8-row group ×
/// 1..4 tokens, <see cref="Packed.Q6_KMaddubs"/>'s sums with vpdpbusd. Per 16-column block each token's int32 lanes start
/// at −32·Σx of the block (the stored values' offset taken out), take one vpdpbusd per 4-column step (the rows' 6-bit
/// values, low nibble | high crumb·16, against a broadcast of 4 activation bytes), are multiplied by the rows' signed
/// block scales (vpmulld) and added into the super-block's sums: the same integers as the C# kernel's, which become
/// floats once per super-block as there, operation for operation. Super-blocks are unrolled (64 steps, 16 blocks).</summary>
internal static unsafe class EmittedQ6_KCode
{
    // Registers: float accumulators ymm16–19, block int sums ymm20–23, super-block int sums ymm24–27 (per token); ymm0
    // and ymm10 a half unit's low-nibble vectors, ymm1 its high crumbs, ymm3 and ymm5–8 a block's four steps and a
    // temporary, ymm2 a block's scales, ymm4 d, ymm9 0x0F, ymm11 −32 (int32), ymm13 0x30.
    private static int F(int t) => 16 + t;
    private static int Sub(int t) => 20 + t;
    private static int Int(int t) => 24 + t;
    private const int Low0 = 0, Low1 = 10, Crumbs = 1, Scales = 2, D = 4, Temp = 3;
    private static readonly int[] Steps = [5, 6, 7, 8];
    private const int Mask0F = 9, MinusThirtyTwo = 11, Mask30 = 13;

    /// <summary>The kernel's constants, 64-byte aligned for the process: 0x0F and 0x30 bytes, −32 as int32 (32 bytes each).</summary>
    public static byte* Constants()
    {
        byte* c = (byte*)NativeMemory.AlignedAlloc(96, 64);
        for (int i = 0; i < 32; i++)
        {
            c[i] = 0x0F;
            c[32 + i] = 0x30;
        }
        for (int i = 0; i < 8; i++) ((int*)(c + 64))[i] = -32;
        return c;
    }

    public static byte[] Tile(int tokens)
    {
        var a = new X64Assembler();
        int n = tokens;
        // System V: the argument block (EmittedKernels.TileArgs) arrives in rdi; every register used is caller-saved.
        a.MovLoad(Gpr.Rax, Gpr.Rdi, EmittedKernels.Offsets.Constants);
        a.VmovdquLoad(Mask0F, Gpr.Rax, 0);
        a.VmovdquLoad(Mask30, Gpr.Rax, 32);
        a.VmovdquLoad(MinusThirtyTwo, Gpr.Rax, 64);
        // Blocks are super-blocks here; token scales (the same for a super-block's 16 blocks) and the corrections Σx
        // are per 16-column block, [block][token].
        EmittedTileCode.LoadArguments(a, scratch: false);
        for (int t = 0; t < n; t++) a.Zero(F(t));

        int superLoop = a.Position;
        a.Vcvtph2psLoad(D, Gpr.Rcx, 0);
        for (int t = 0; t < n; t++) a.Zero(Int(t));
        for (int unit = 0; unit < 8; unit++)
            for (int half = 0; half < 2; half++)
            {
                int values = unit * 192, block = 2 * unit + half;
                // Multi-token tiles prefetch each unit's three lines a super-block ahead into L1 and four into L2 (see
                // EmittedKQuantCode for the measurement); one token keeps the hardware's alone.
                if (n > 1 && half == 0)
                    EmittedTileCode.PrefetchValues(a, 192, Gpr.Rsi, PackedQ6_KWeight.SuperQuantBytes + values, 4 * PackedQ6_KWeight.SuperQuantBytes + values);
                a.VmovdquLoad(Low0, Gpr.Rsi, values + half * 64);
                a.VmovdquLoad(Low1, Gpr.Rsi, values + half * 64 + 32);
                a.VmovdquLoad(Crumbs, Gpr.Rsi, values + 128 + half * 32);
                Decode(a);
                for (int t = 0; t < n; t++)
                {
                    a.VpbroadcastdLoad(Sub(t), Gpr.R11, (block * n + t) * 4);
                    a.Vpmulld(Sub(t), Sub(t), MinusThirtyTwo);
                }
                for (int i = 0; i < 4; i++)
                {
                    int step = 8 * unit + 4 * half + i;
                    for (int t = 0; t < n; t++) a.VpdpbusdBroadcast(Sub(t), Steps[i], Gpr.R9, (step * n + t) * 4);
                }
                a.VpmovsxbdLoad(Scales, Gpr.Rcx, 16 + 8 * block);
                for (int t = 0; t < n; t++)
                {
                    a.Vpmulld(Sub(t), Sub(t), Scales);
                    a.Vpaddd(Int(t), Int(t), Sub(t));
                }
            }
        for (int t = 0; t < n; t++)
        {
            a.Vcvtdq2ps(Temp, Int(t));
            a.VmulpsBroadcast(Steps[0], D, Gpr.R10, 4 * t); // d · the super-block's token scale (its first block's)
            a.Vfmadd231ps(F(t), Temp, Steps[0]);
        }
        a.AddImmediate(Gpr.Rsi, PackedQ6_KWeight.SuperQuantBytes);
        a.AddImmediate(Gpr.Rcx, PackedQ6_KWeight.SuperScaleBytes);
        a.AddImmediate(Gpr.R9, 256 * n);
        a.AddImmediate(Gpr.R10, 64 * n);
        a.AddImmediate(Gpr.R11, 64 * n);
        a.Dec(Gpr.Rax);
        a.JumpIfNotZero(superLoop);
        return EmittedTileCode.Finish(a, n);
    }

    /// <summary>A half unit's four steps from its two low-nibble vectors and its crumbs (<see cref="Packed.PackedQ6_KWeight"/>):
    /// step i = the low (even i) or high (odd i) nibbles of vector i/2 | crumb i·16 (the crumb at bits 2i of each byte,
    /// moved to bits 4–5 by a 16-bit shift of 4 − 2i).</summary>
    private static void Decode(X64Assembler a)
    {
        for (int i = 0; i < 4; i++)
        {
            int step = Steps[i], low = i < 2 ? Low0 : Low1, shift = 4 - 2 * i;
            if (i % 2 == 0) a.Vpandd(step, low, Mask0F);
            else
            {
                a.VpsrlwImmediate(step, low, 4);
                a.Vpandd(step, step, Mask0F);
            }
            if (shift > 0) a.VpsllwImmediate(Temp, Crumbs, (byte)shift);
            else if (shift < 0) a.VpsrlwImmediate(Temp, Crumbs, (byte)-shift);
            a.Vpandd(Temp, shift == 0 ? Crumbs : Temp, Mask30);
            a.Vpord(step, step, Temp);
        }
    }
}
