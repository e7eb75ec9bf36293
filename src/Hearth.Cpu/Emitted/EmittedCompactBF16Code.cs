using System.Runtime.InteropServices;
using Hearth.Cpu.Packed;

namespace Hearth.Cpu.Emitted;

/// <summary>Writes the one-token kernel of <see cref="Kernels.BF16PanelGemm"/> for a <see cref="CompactBF16Weight"/> in
/// <see cref="CompactBF16Weight.WordOrder"/> (decode): a whole row group's blocks of one column block, read in the group's
/// order (one stream), each decoded to its BF16 words in registers (the steps of <see cref="Kernels.CompactBF16Decode"/>:
/// vpmovzxbw, vpsllw, vpternlogd, vpermb on the base's table, vpunpck{l,h}bw with the low bytes; an excepted block's raw
/// words loaded instead) and multiplied by vdpbf16ps into its row's accumulator. The accumulators are those
/// <see cref="EmittedBF16Code"/>'s tile makes of the same block on a panel (the same instructions on the same words in
/// the same order), without the panel's store and reload between decode and product: what decode of a BF16 model,
/// which streams every weight once a token, needs to keep up with memory.</summary>
internal static unsafe class EmittedCompactBF16Code
{
    /// <summary>What the kernel reads, at <see cref="Offsets"/>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Args
    {
        /// <summary>The group's first block of the column block: its header and slot.</summary>
        public byte* Headers, Slots;
        /// <summary>The token's BF16 activation at the column block's first column.</summary>
        public ushort* X;
        public byte* HighBytes;
        public ushort* Exceptions;
        /// <summary>Blocks a row (≥ 1).</summary>
        public long Blocks;
        /// <summary>The 64-byte constant block (<see cref="Constants"/>).</summary>
        public byte* Constants;
        /// <summary>The four rows' accumulators ([row][16 lanes]).</summary>
        public float* Output;
    }

    /// <summary>Byte offsets of <see cref="Args"/>' fields.</summary>
    internal static class Offsets
    {
        public const int Headers = 0, Slots = 8, X = 16, HighBytes = 24, Exceptions = 32, Blocks = 40, Constants = 48, Output = 56;
    }

    /// <summary>The kernel's constants, 64-byte aligned for the process: the word mask 0x000F that keeps a nibble byte's
    /// low nibble in its low byte and takes the high nibble into the high byte (vpternlogd's select).</summary>
    public static readonly byte* Constants = MakeConstants();

    private static byte* MakeConstants()
    {
        byte* c = (byte*)NativeMemory.AlignedAlloc(64, 64);
        for (int i = 0; i < 64; i++) c[i] = (byte)(i % 2 == 0 ? 0x0F : 0x00);
        return c;
    }

    // zmm0–3 the rows' accumulators, zmm4/5 the block's two halves of activation, zmm9 the word mask; zmm6/7 nibble words
    // and indexes, zmm10 the base's table, zmm11 the high bytes, zmm12 the low bytes, zmm13/14 the block's words.
    private const int X0 = 4, X1 = 5, Nibbles = 6, Indexes = 7, Mask = 9, Table = 10, High = 11, Low = 12, Words0 = 13, Words1 = 14;
    // ternlog f(dst, b, c) = c ? b : dst, as a truth table over 4·dst + 2·b + c.
    private const byte SelectByMask = 0xD8;

    /// <summary>The kernel (System V: the argument block's address in rdi; only caller-saved registers).</summary>
    public static byte[] Rows4()
    {
        const int rows = RowGroups.Rows, slot = CompactBF16Weight.SlotBytes;
        var a = new X64Assembler();
        a.MovLoad(Gpr.Rdx, Gpr.Rdi, Offsets.Headers);
        a.MovLoad(Gpr.Rsi, Gpr.Rdi, Offsets.Slots);
        a.MovLoad(Gpr.Rcx, Gpr.Rdi, Offsets.X);
        a.MovLoad(Gpr.R9, Gpr.Rdi, Offsets.HighBytes);
        a.MovLoad(Gpr.R10, Gpr.Rdi, Offsets.Exceptions);
        a.MovLoad(Gpr.R8, Gpr.Rdi, Offsets.Blocks);
        a.MovLoad(Gpr.Rax, Gpr.Rdi, Offsets.Constants);
        a.VmovupsLoad512(Mask, Gpr.Rax, 0);
        for (int r = 0; r < rows; r++) a.Zero512(r);
        var excepted = new int[rows];
        var joined = new int[rows];
        for (int r = 0; r < rows; r++) { excepted[r] = a.NewLabel(); joined[r] = a.NewLabel(); }
        int loop = a.Position;
        a.VmovupsLoad512(X0, Gpr.Rcx, 0);
        a.VmovupsLoad512(X1, Gpr.Rcx, 64);
        for (int r = 0; r < rows; r++)
        {
            a.MovzxByteLoad(Gpr.Rax, Gpr.Rdx, r);
            a.CompareImmediate(Gpr.Rax, CompactBF16Weight.Exception);
            a.JumpIfEqual(excepted[r]);
            a.ShiftLeftImmediate(Gpr.Rax, 4); // 16 bytes of table per base
            a.Add(Gpr.Rax, Gpr.R9);
            a.Vbroadcasti32x4Load512(Table, Gpr.Rax, 0);
            a.VpmovzxbwLoad512(Nibbles, Gpr.Rsi, r * slot);
            a.VpsllwImmediate512(Indexes, Nibbles, 4);
            a.Vpternlogd512(Indexes, Nibbles, Mask, SelectByMask);
            a.Vpermb512(High, Indexes, Table);
            a.VmovupsLoad512(Low, Gpr.Rsi, r * slot + 32);
            a.Vpunpcklbw512(Words0, Low, High);
            a.Vpunpckhbw512(Words1, Low, High);
            a.Bind(joined[r]);
            a.Vdpbf16ps512(r, Words0, X0);
            a.Vdpbf16ps512(r, Words1, X1);
        }
        a.AddImmediate(Gpr.Rdx, rows);
        a.AddImmediate(Gpr.Rsi, rows * slot);
        a.AddImmediate(Gpr.Rcx, CompactBF16Weight.BlockColumns * 2);
        a.Dec(Gpr.R8);
        a.JumpIfNotZero(loop);
        a.MovLoad(Gpr.Rax, Gpr.Rdi, Offsets.Output);
        for (int r = 0; r < rows; r++) a.VmovupsStore512(Gpr.Rax, 64 * r, r);
        a.Vzeroupper();
        a.Ret();
        // Excepted blocks, out of line: the slot holds the index of the block's 64 raw BF16 (128 bytes each).
        for (int r = 0; r < rows; r++)
        {
            a.Bind(excepted[r]);
            a.MovsxdLoad(Gpr.Rax, Gpr.Rsi, r * slot);
            a.ShiftLeftImmediate(Gpr.Rax, 7);
            a.Add(Gpr.Rax, Gpr.R10);
            a.VmovupsLoad512(Words0, Gpr.Rax, 0);
            a.VmovupsLoad512(Words1, Gpr.Rax, 64);
            a.Jump(joined[r]);
        }
        return a.ToArray();
    }
}
