namespace Hearth.Cpu.Emitted;

/// <summary>Writes the two-group tiles of <see cref="EmittedKernels"/> for 2..4 tokens: two 8-row groups in one pass, so
/// each token's broadcast activation bytes are loaded once into a register and serve both groups' vpdpbusd (the
/// one-group tile reads them as a memory operand of every vpdpbusd, and its loads, not its multiplies, bounded it).
/// Per (group, token) the integer and float steps are <see cref="EmittedTileCode"/>'s in its order, so the bits are the
/// same as two one-group calls. One-token tiles stay one group at a time (memory-bound: two streams, not four).
/// Formats: those without a fifth-bit plane (Q8_0, IQ4, MXFP4, Q4_0), which leave enough registers. Measured on Zen 4
/// (`emitted-tiles`, one thread, L1): Q8_0 4 tokens 142.6 → 171.2 GMAC/s, 3 tokens 129.5 → 144.7; MXFP4 4 tokens 152.5 →
/// 157.5; in models the gain is smaller (1B prompts of 202 tokens, Q8_0 / IQ4_XS / Q4_0, two interleaved rounds: 192
/// against 184 tokens/s on average, within the machine's noise).</summary>
internal static class EmittedPairCode
{
    // ymm16–23 float accumulators and ymm24–31 int accumulators, [group·4 + token]; ymm0/1 group 0's decoded steps
    // (low, high), ymm2/3 group 1's; ymm4/5 the groups' scales; ymm6/7 temporaries; ymm8 the lookup table, ymm9 the
    // nibble mask; ymm12–15 the tokens' broadcast activation bytes.
    private static int F(int g, int t) => 16 + 4 * g + t;
    private static int I(int g, int t) => 24 + 4 * g + t;
    private static int Step(int g, bool high) => 2 * g + (high ? 1 : 0);
    private static int Scales(int g) => 4 + g;
    private static int Broadcast(int t) => 12 + t;
    private const int Temp = 6, Temp2 = 7, Table = EmittedTileCode.Table, NibbleMask = EmittedTileCode.NibbleMask;

    /// <summary>Whether the format has a two-group tile.</summary>
    public static bool Serves(EmittedFormat f) => f != EmittedFormat.Q5_0;

    public static byte[] Tile(EmittedFormat format, int tokens, bool vbmi)
    {
        if (!Serves(format) || tokens is < 2 or > 4) throw new ArgumentOutOfRangeException(nameof(tokens), $"{format} × {tokens} tokens has no two-group tile");
        var a = new X64Assembler();
        bool nibbles = format != EmittedFormat.Q8_0;
        a.MovLoad(Gpr.Rax, Gpr.Rdi, EmittedKernels.Offsets.Constants);
        if (nibbles)
        {
            a.VmovdquLoad(Table, Gpr.Rax, 0);
            a.VmovdquLoad(NibbleMask, Gpr.Rax, 32);
        }
        // The second group's values and scales: r8 and rdx (loaded before LoadArguments replaces rdi).
        a.MovLoad(Gpr.R8, Gpr.Rdi, EmittedKernels.Offsets.Quants2);
        a.MovLoad(Gpr.Rdx, Gpr.Rdi, EmittedKernels.Offsets.Scales2);
        EmittedTileCode.LoadArguments(a, scratch: false);
        // r12 and r13 (callee-saved: pushed, popped at the end): the next pair's two groups, rsi + 2·stride and
        // r8 + 2·stride, stride = r8 − rsi.
        a.Push(Gpr.R12);
        a.Push(Gpr.R13);
        a.Mov(Gpr.R12, Gpr.R8);
        a.Sub(Gpr.R12, Gpr.Rsi);
        a.Add(Gpr.R12, Gpr.R12);
        a.Mov(Gpr.R13, Gpr.R12);
        a.Add(Gpr.R12, Gpr.Rsi);
        a.Add(Gpr.R13, Gpr.R8);
        for (int g = 0; g < 2; g++)
            for (int t = 0; t < tokens; t++) a.Zero(F(g, t));
        int quantBytes = EmittedTileCode.QuantBytes(format), scaleBytes = EmittedTileCode.ScaleBytes(format);
        int loop = a.Position;
        NextPairPrefetch(a, quantBytes, scaleBytes);
        for (int g = 0; g < 2; g++)
            for (int t = 0; t < tokens; t++) a.VpbroadcastdLoad(I(g, t), Gpr.R11, 4 * t);
        if (nibbles)
            for (int i = 0; i < 4; i++)
            {
                for (int g = 0; g < 2; g++)
                    EmittedTileCode.DecodeNibbles(a, format, vbmi, g == 0 ? Gpr.Rsi : Gpr.R8, i, Step(g, false), Step(g, true));
                Dots(a, tokens, 2 * i, high: false);
                Dots(a, tokens, 2 * i + 1, high: true);
            }
        else
            for (int j = 0; j < 8; j++)
            {
                a.VmovdquLoad(Step(0, false), Gpr.Rsi, 32 * j);
                a.VmovdquLoad(Step(1, false), Gpr.R8, 32 * j);
                Dots(a, tokens, j, high: false);
            }
        EmittedTileCode.LoadScales(a, format, Scales(0), Gpr.Rcx);
        EmittedTileCode.LoadScales(a, format, Scales(1), Gpr.Rdx);
        for (int t = 0; t < tokens; t++)
            for (int g = 0; g < 2; g++)
            {
                a.Vcvtdq2ps(Temp, I(g, t));
                a.VmulpsBroadcast(Temp2, Scales(g), Gpr.R10, 4 * t);
                a.Vfmadd231ps(F(g, t), Temp, Temp2);
            }
        a.AddImmediate(Gpr.Rsi, quantBytes);
        a.AddImmediate(Gpr.R8, quantBytes);
        a.AddImmediate(Gpr.Rcx, scaleBytes);
        a.AddImmediate(Gpr.Rdx, scaleBytes);
        a.AddImmediate(Gpr.R9, 32 * tokens);
        a.AddImmediate(Gpr.R10, 4 * tokens);
        a.AddImmediate(Gpr.R11, 4 * tokens);
        a.Dec(Gpr.Rax);
        a.JumpIfNotZero(loop);
        // Output [token][16 rows]: group 0's 8 then group 1's.
        for (int t = 0; t < tokens; t++)
            for (int g = 0; g < 2; g++) a.VmovupsStore(Gpr.Rdi, 64 * t + 32 * g, F(g, t));
        a.Pop(Gpr.R13);
        a.Pop(Gpr.R12);
        a.Vzeroupper();
        a.Ret();
        return a.ToArray();
    }

    /// <summary>The prefetches of one block: both groups' values into L1 <see cref="EmittedTileCode.L1PrefetchDistance"/>
    /// bytes ahead, their scales' line as the one-group tile takes it, and the same block of the <b>next pair's</b> two
    /// groups (r12, r13) into L2, stepped here. A pair's groups are read as one stream each; prefetching the next pair
    /// alongside makes four, and a core keeps more of memory's lines in flight over four streams than over two (a plain
    /// read of 1 GB on this Zen 4, 2 threads: 24–26 GB/s as one or two streams a thread, 30–32 as four to eight). The
    /// same rows are read a pair later as every tile reads them, so no line is fetched that is not used, except past a
    /// chunk's last pair. Measured in-process, modes alternated round by round (`moe-batch`, `matmul-batch`; Zen 4, 2
    /// threads), against prefetching each group 4 KB ahead into L2: gpt-oss-20b's experts at 16 streams 367 vs 418 and
    /// 388 vs 440 ms per step (mean of 12), at 8 streams 270 vs 293, at 4 155 vs 163; the 1B's Q8_0 matrices at 16
    /// tokens 97 vs 108 ms, at 64 tokens 352 vs 367; the 1B IQ4_XS at 4 tokens 35 vs 42, at 16 tokens 87 vs 97.</summary>
    private static void NextPairPrefetch(X64Assembler a, int quantBytes, int scaleBytes)
    {
        for (int line = 0; line < quantBytes; line += 64)
        {
            a.Prefetcht0(Gpr.Rsi, EmittedTileCode.L1PrefetchDistance + line);
            a.Prefetcht0(Gpr.R8, EmittedTileCode.L1PrefetchDistance + line);
            a.Prefetcht1(Gpr.R12, line);
            a.Prefetcht1(Gpr.R13, line);
        }
        int scaleAhead = EmittedTileCode.L2PrefetchDistance / quantBytes * scaleBytes;
        a.Prefetcht0(Gpr.Rcx, scaleAhead);
        a.Prefetcht0(Gpr.Rdx, scaleAhead);
        a.AddImmediate(Gpr.R12, quantBytes);
        a.AddImmediate(Gpr.R13, quantBytes);
    }

    /// <summary>Step j for every token: its 4 activation bytes broadcast into a register once, then one vpdpbusd per
    /// group.</summary>
    private static void Dots(X64Assembler a, int tokens, int j, bool high)
    {
        for (int t = 0; t < tokens; t++)
        {
            a.VpbroadcastdLoad(Broadcast(t), Gpr.R9, (j * tokens + t) * 4);
            for (int g = 0; g < 2; g++) a.VpdpbusdReg(I(g, t), Step(g, high), Broadcast(t));
        }
    }
}
