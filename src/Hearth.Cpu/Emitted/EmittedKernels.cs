using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Hearth.Cpu.Packed;

namespace Hearth.Cpu.Emitted;

/// <summary>Kernels assembled at startup (<see cref="X64Assembler"/>) for instructions .NET 10 cannot issue: today the
/// packed Q8_0 tile (<see cref="Q8_0Tile"/>) with AVX-512 VNNI's vpdpbusd, one instruction per 4-column step where
/// the AVX2 composition takes five (<see cref="PackedDots.Offset128"/>). It computes exactly what
/// <see cref="PackedGemm"/>'s Q8_0 tile computes (integer sums are exact, the float steps are the same operations in
/// the same order), so a machine gives the same bits with and without it.</summary>
internal static unsafe class EmittedKernels
{
    /// <summary>Whether the emitted AVX-512 VNNI kernels run here: Linux x64 (the System V calling convention they are
    /// written for), AVX-512 F/BW/VL enabled in the runtime (DOTNET_EnableAVX512=0 turns them off with the rest of
    /// AVX-512), the CPU's AVX512_VNNI bit (CPUID leaf 7, ECX bit 11), and HEARTH_EMITTED_KERNELS not "0".</summary>
    public static bool Vnni512Supported { get; } = Detect();

    private static bool Detect()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return false;
        if (!Avx512F.VL.IsSupported || !Avx512BW.IsSupported) return false;
        if (Environment.GetEnvironmentVariable("HEARTH_EMITTED_KERNELS") == "0") return false;
        (_, _, int ecx, _) = X86Base.CpuId(7, 0);
        return (ecx & 1 << 11) != 0;
    }

    /// <summary>What the emitted tile reads: the fields' offsets are fixed in <see cref="Q8_0TileCode"/>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct TileArgs
    {
        public byte* Quants, Quants2, Scales, Scales2;
        public sbyte* X;
        public float* TokenScales;
        public int* Corrections;
        public long Blocks;
        public float* Output;
    }

    private static readonly Lazy<nint[]> Q8_0Kernels = new(() => Load(Q8_0TileCode));

    /// <summary>The packed Q8_0 tile (w + 128 layout, <see cref="PackedQ8_0Weight"/>) on AVX-512 VNNI: the arguments
    /// and results of <see cref="PackedGemm.Tile{TF}"/> with <see cref="Q8_0Format{TDot}"/> of <see cref="Offset128Dot"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q8_0Tile(int groups, int tokens, byte* q, byte* scales, int nb, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows)
    {
        float* output = stackalloc float[2 * PackedGemm.MaxTokens * 8];
        var args = new TileArgs
        {
            Quants = q, Quants2 = q + (long)nb * 256, Scales = scales, Scales2 = scales + (long)nb * 16,
            X = x, TokenScales = xd, Corrections = xc, Blocks = nb, Output = output,
        };
        // The kernel is a leaf of a few microseconds that never calls back into the runtime: no GC transition.
        var kernel = (delegate* unmanaged[SuppressGCTransition]<TileArgs*, void>)Q8_0Kernels.Value[(groups - 1) * PackedGemm.MaxTokens + tokens - 1];
        kernel(&args);
        for (int g = 0; g < groups; g++)
            for (int t = 0; t < tokens; t++)
                PackedGemm.Store(Vector256.Load(output + (g * PackedGemm.MaxTokens + t) * 8), y + g * 8 + t * yStride, rows - g * 8);
    }

    /// <summary>Every tile shape's code in one executable mapping; entry points by shape (groups − 1)·4 + tokens − 1.</summary>
    private static nint[] Load(Func<int, int, byte[]> emit)
    {
        var parts = new List<byte[]>();
        for (int groups = 1; groups <= PackedGemm.MaxGroups; groups++)
            for (int tokens = 1; tokens <= PackedGemm.MaxTokens; tokens++)
                parts.Add(emit(groups, tokens));
        const int align = 64;
        var all = new byte[parts.Sum(p => (p.Length + align - 1) / align * align)];
        var offsets = new int[parts.Count];
        for (int i = 0, at = 0; i < parts.Count; at += (parts[i].Length + align - 1) / align * align, i++)
        {
            offsets[i] = at;
            parts[i].CopyTo(all, at);
        }
        byte* code = ExecutableMemory.Load(all);
        return [.. offsets.Select(o => (nint)(code + o))];
    }

    /// <summary>The Q8_0 tile for <paramref name="groups"/> 8-row groups × <paramref name="tokens"/> tokens, the
    /// structure of <see cref="PackedGemm"/>'s: per block each (group, token) int32 accumulator starts at the token's
    /// correction −128·Σx, takes 8 vpdpbusd (the group's 32 step bytes against a broadcast of the token's 4 activation
    /// bytes), then adds into its float accumulator as fma(float(acc), rowScales·tokenScale, f). Registers: ymm16–23
    /// float accumulators, ymm24–31 int accumulators, ymm0/1 the groups' step bytes, ymm2/3 their scales, ymm4–7 temporaries.</summary>
    internal static byte[] Q8_0TileCode(int groups, int tokens)
    {
        var a = new X64Assembler();
        static int F(int g, int t) => 16 + g * 4 + t;
        static int I(int g, int t) => 24 + g * 4 + t;
        // System V: the argument block's address arrives in rdi; every register used here is caller-saved.
        a.MovLoad(Gpr.Rsi, Gpr.Rdi, 0);   // group 0's quants
        a.MovLoad(Gpr.Rdx, Gpr.Rdi, 8);   // group 1's quants
        a.MovLoad(Gpr.Rcx, Gpr.Rdi, 16);  // group 0's F16 scales
        a.MovLoad(Gpr.R8, Gpr.Rdi, 24);   // group 1's F16 scales
        a.MovLoad(Gpr.R9, Gpr.Rdi, 32);   // interleaved activations
        a.MovLoad(Gpr.R10, Gpr.Rdi, 40);  // token scales [block][token]
        a.MovLoad(Gpr.R11, Gpr.Rdi, 48);  // corrections [block][token]
        a.MovLoad(Gpr.Rax, Gpr.Rdi, 56);  // blocks (≥ 1)
        a.MovLoad(Gpr.Rdi, Gpr.Rdi, 64);  // output, [group][token][8 rows]
        for (int g = 0; g < groups; g++)
            for (int t = 0; t < tokens; t++) a.Zero(F(g, t));
        int loop = a.Position;
        for (int g = 0; g < groups; g++)
            for (int t = 0; t < tokens; t++) a.VpbroadcastdLoad(I(g, t), Gpr.R11, 4 * t);
        for (int j = 0; j < 8; j++)
        {
            a.VmovdquLoad(0, Gpr.Rsi, 32 * j);
            if (groups == 2) a.VmovdquLoad(1, Gpr.Rdx, 32 * j);
            for (int t = 0; t < tokens; t++)
                for (int g = 0; g < groups; g++) a.VpdpbusdBroadcast(I(g, t), g, Gpr.R9, (j * tokens + t) * 4);
        }
        a.Vcvtph2psLoad(2, Gpr.Rcx, 0);
        if (groups == 2) a.Vcvtph2psLoad(3, Gpr.R8, 0);
        for (int t = 0; t < tokens; t++)
            for (int g = 0; g < groups; g++)
            {
                a.Vcvtdq2ps(4 + 2 * g, I(g, t));
                a.VmulpsBroadcast(5 + 2 * g, 2 + g, Gpr.R10, 4 * t);
                a.Vfmadd231ps(F(g, t), 4 + 2 * g, 5 + 2 * g);
            }
        a.AddImmediate(Gpr.Rsi, 256);
        a.AddImmediate(Gpr.Rdx, 256);
        a.AddImmediate(Gpr.Rcx, 16);
        a.AddImmediate(Gpr.R8, 16);
        a.AddImmediate(Gpr.R9, 32 * tokens);
        a.AddImmediate(Gpr.R10, 4 * tokens);
        a.AddImmediate(Gpr.R11, 4 * tokens);
        a.Dec(Gpr.Rax);
        a.JumpIfNotZero(loop);
        for (int g = 0; g < groups; g++)
            for (int t = 0; t < tokens; t++) a.VmovupsStore(Gpr.Rdi, (g * PackedGemm.MaxTokens + t) * 32, F(g, t));
        a.Vzeroupper();
        a.Ret();
        return a.ToArray();
    }
}
