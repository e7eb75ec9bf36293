using System.Runtime.InteropServices;

namespace Hearth.Cpu.Emitted;

/// <summary>Writes the BF16 tile of <see cref="Kernels.BF16PanelGemm"/>: four panel rows × 1..6 tokens over whole
/// 32-column chunks, one AVX512_BF16 vdpbf16ps per row, token and chunk (32 multiply-adds, twice what an FMA on F32
/// does in the same time on Zen 4). Accumulator (row r, token u) lane i takes the products of columns 2i and 2i + 1 of
/// every chunk; the accumulators are stored as they are for the caller to reduce.</summary>
internal static class EmittedBF16Code
{
    public const int Rows = 4, MaxTokens = 6, ChunkColumns = 32;

    /// <summary>Bytes between panel rows: the panel holds <see cref="Kernels.BF16PanelGemm.ColumnBlock"/> BF16 a row
    /// whatever the block's width, so every row is at a fixed displacement from one base register.</summary>
    public const int PanelRowBytes = Kernels.BF16PanelGemm.ColumnBlock * 2;

    /// <summary>What the tile reads, at <see cref="Offsets"/>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct Args
    {
        public ushort* Panel;
        public ushort* X0, X1, X2, X3, X4, X5;
        public long Chunks;
        public float* Output;
    }

    /// <summary>Byte offsets of <see cref="Args"/>' fields.</summary>
    internal static class Offsets
    {
        public const int Panel = 0, X0 = 8, X1 = 16, X2 = 24, X3 = 32, X4 = 40, X5 = 48, Chunks = 56, Output = 64;
    }

    // zmm0–3 the chunk's four panel rows, zmm4 a token's chunk, zmm8 + 4u + r the accumulators.
    private static int Acc(int u, int r) => 8 + 4 * u + r;
    private static readonly Gpr[] TokenRegisters = [Gpr.Rdx, Gpr.Rcx, Gpr.R8, Gpr.R9, Gpr.R10, Gpr.R11];

    /// <summary>The tile for <paramref name="tokens"/> tokens (System V: the argument block's address in rdi; only
    /// caller-saved registers). Output: zmm accumulator (u, r) at Output + 64·(4u + r).</summary>
    public static byte[] Tile(int tokens)
    {
        if (tokens is < 1 or > MaxTokens) throw new ArgumentOutOfRangeException(nameof(tokens));
        var a = new X64Assembler();
        a.MovLoad(Gpr.Rsi, Gpr.Rdi, Offsets.Panel);
        for (int u = 0; u < tokens; u++) a.MovLoad(TokenRegisters[u], Gpr.Rdi, Offsets.X0 + 8 * u);
        a.MovLoad(Gpr.Rax, Gpr.Rdi, Offsets.Chunks);
        for (int u = 0; u < tokens; u++)
            for (int r = 0; r < Rows; r++) a.Zero512(Acc(u, r));
        int loop = a.Position;
        for (int r = 0; r < Rows; r++) a.VmovupsLoad512(r, Gpr.Rsi, r * PanelRowBytes);
        for (int u = 0; u < tokens; u++)
        {
            a.VmovupsLoad512(4, TokenRegisters[u], 0);
            for (int r = 0; r < Rows; r++) a.Vdpbf16ps512(Acc(u, r), r, 4);
        }
        a.AddImmediate(Gpr.Rsi, 64);
        for (int u = 0; u < tokens; u++) a.AddImmediate(TokenRegisters[u], 64);
        a.Dec(Gpr.Rax);
        a.JumpIfNotZero(loop);
        a.MovLoad(Gpr.Rax, Gpr.Rdi, Offsets.Output);
        for (int u = 0; u < tokens; u++)
            for (int r = 0; r < Rows; r++) a.VmovupsStore512(Gpr.Rax, 64 * (4 * u + r), Acc(u, r));
        a.Vzeroupper();
        a.Ret();
        return a.ToArray();
    }
}
