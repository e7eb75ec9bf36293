using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Hearth.Cpu.Kernels;
using Hearth.Cpu.Packed;

namespace Hearth.Cpu.Emitted;

/// <summary>Kernels assembled at first use (<see cref="X64Assembler"/>, <see cref="EmittedTileCode"/>) for an instruction
/// .NET 10 cannot issue: AVX-512 VNNI's vpdpbusd, one instruction per token and 4-column step of 8 rows where the AVX2
/// compositions take two to five (<see cref="PackedDots"/>, <see cref="NibbleDecode{TF}"/>). The packed tiles of the
/// int8-activation formats (<see cref="EmittedFormat"/>, and from two tokens up the K-quants': <see cref="EmittedKQuantCode"/>,
/// <see cref="EmittedQ6_KCode"/>) run here on such machines. Each computes exactly what its C#
/// tile computes (integer sums are exact, the float steps are the same operations in the same order), so a machine
/// gives the same bits with and without them. On machines that also have AVX512_BF16, BF16 products run here too
/// (<see cref="EmittedBF16Code"/>, <see cref="EmittedCompactBF16Code"/>: vdpbf16ps, two multiply-adds a lane), which have
/// no C# equal: there every BF16 product of the machine runs them, so a token's bits stay the same alone and in a batch.</summary>
internal static unsafe class EmittedKernels
{
    /// <summary>Whether the emitted AVX-512 VNNI kernels run here: Linux x64 (the System V calling convention they are
    /// written for), AVX-512 F/BW/VL enabled in the runtime (DOTNET_EnableAVX512=0 turns them off with the rest of
    /// AVX-512), the CPU's AVX512_VNNI bit (CPUID leaf 7, ECX bit 11), HEARTH_EMITTED_KERNELS not "0", and pages that
    /// may be made executable (a one-instruction function is loaded and called; where a policy forbids it, the C#
    /// kernels run and <see cref="Unavailable"/> says why).</summary>
    public static bool Vnni512Supported => Unavailable == null;

    /// <summary>Why the emitted kernels do not run here, or null where they do.</summary>
    public static string? Unavailable { get; } = Detect();

    private static string? Detect()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return "not Linux x64";
        if (!Avx512F.VL.IsSupported || !Avx512BW.IsSupported) return "no AVX-512 F/BW/VL";
        if (Environment.GetEnvironmentVariable("HEARTH_EMITTED_KERNELS") == "0") return "HEARTH_EMITTED_KERNELS=0";
        (_, _, int ecx, _) = X86Base.CpuId(7, 0);
        if ((ecx & 1 << 11) == 0) return "no AVX512_VNNI";
        try
        {
            var ret = (delegate* unmanaged[SuppressGCTransition]<void>)ExecutableMemory.Load([0xC3]);
            ret();
        }
        catch (InvalidOperationException e)
        {
            return e.Message; // mmap or mprotect refused: the C# kernels serve instead
        }
        return null;
    }

    /// <summary>Whether the emitted BF16 tile runs here (<see cref="EmittedBF16Code"/>): the emitted kernels run and the CPU has
    /// AVX512_BF16 (CPUID leaf 7 subleaf 1, EAX bit 5: Cooper Lake, Sapphire Rapids, Zen 4 and later).</summary>
    public static bool BF16Supported { get; } = Unavailable == null && (X86Base.CpuId(7, 1).Eax & 1 << 5) != 0;

    // The BF16 tile per token count (entry tokens − 1).
    private static readonly Lazy<nint[]> BF16Kernels = new(() => LoadAll([.. Enumerable.Range(1, EmittedBF16Code.MaxTokens).Select(EmittedBF16Code.Tile)]));

    /// <summary>The BF16 tile on four panel rows (<see cref="EmittedBF16Code.PanelRowBytes"/> apart) and
    /// <paramref name="tokens"/> tokens (<paramref name="xStride"/> values apart) over <paramref name="chunks"/> ≥ 1 chunks
    /// of 32 columns: the 4 × tokens accumulators to <paramref name="output"/> ([token][row][16 lanes]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void BF16Tile(int tokens, ushort* panel, ushort* x, long xStride, long chunks, float* output)
    {
        var args = new EmittedBF16Code.Args
        {
            Panel = panel, X0 = x, X1 = x + xStride, X2 = x + 2 * xStride, X3 = x + 3 * xStride, X4 = x + 4 * xStride, X5 = x + 5 * xStride,
            Chunks = chunks, Output = output,
        };
        // A leaf of microseconds that never calls back into the runtime: no GC transition.
        ((delegate* unmanaged[SuppressGCTransition]<EmittedBF16Code.Args*, void>)BF16Kernels.Value[tokens - 1])(&args);
    }

    private static readonly Lazy<nint> CompactBF16Kernel = new(() => LoadAll([EmittedCompactBF16Code.Rows4()])[0]);

    /// <summary>The four accumulators of rows n..n + 3 (a whole row group) of a compact weight in word order over columns
    /// [c0, c0 + kc) (whole blocks) against one token's BF16 activation <paramref name="x"/> (at column c0), to
    /// <paramref name="output"/> ([row][16 lanes]): what <see cref="BF16Tile"/> gives on a panel of the same rows.
    /// Needs AVX-512 VBMI (<see cref="Vbmi"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CompactBF16Rows4(CompactBF16Weight w, int n, int c0, int kc, ushort* x, float* output)
    {
        long first = w.Position(n, c0 / CompactBF16Weight.BlockColumns);
        var args = new EmittedCompactBF16Code.Args
        {
            Headers = w.Headers + first, Slots = w.Slots + first * CompactBF16Weight.SlotBytes, X = x, HighBytes = CompactBF16Weight.HighBytes,
            Exceptions = w.Exceptions, Blocks = kc / CompactBF16Weight.BlockColumns, Constants = EmittedCompactBF16Code.Constants, Output = output,
        };
        ((delegate* unmanaged[SuppressGCTransition]<EmittedCompactBF16Code.Args*, void>)CompactBF16Kernel.Value)(&args);
    }

    /// <summary>What an emitted tile reads, at the offsets the generators load from (<see cref="Offsets"/>).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct TileArgs
    {
        public byte* Quants, Scales;
        public sbyte* X;
        public float* TokenScales;
        public int* Corrections;
        public long Blocks;
        public float* Output;
        public byte* Constants;
        public byte* Scratch;
        /// <summary>Two-group tiles (<see cref="EmittedPairCode"/>): the second group's values and scales.</summary>
        public byte* Quants2, Scales2;
    }

    /// <summary>Byte offsets of <see cref="TileArgs"/>' fields.</summary>
    internal static class Offsets
    {
        public const int Quants = 0, Scales = 8, X = 16, TokenScales = 24, Corrections = 32, Blocks = 40, Output = 48, Constants = 56, Scratch = 64, Quants2 = 72, Scales2 = 80;
    }

    /// <summary>Whether the table formats look their nibbles up with vpermb (AVX-512 VBMI: Ice Lake, Zen 4 and later),
    /// 4 operations per two steps, rather than vpshufb with masks, 6 (Cascade Lake has VNNI without VBMI).</summary>
    public static bool Vbmi { get; } = Avx512Vbmi.VL.IsSupported;

    // Per format, with and without VBMI: [2·format + vbmi].
    private static readonly Lazy<nint[]>[] Kernels =
        [.. Enum.GetValues<EmittedFormat>().SelectMany(f => new[] { false, true }.Select(v => new Lazy<nint[]>(() => Load(f, v))))];

    private static readonly Lazy<nint[]> ConstantBlocks = new(() => [.. Enum.GetValues<EmittedFormat>().Select(f => (nint)EmittedTileCode.Constants(f))]);

    /// <summary>y[u, 8g .. 8g+8) for g &lt; groups (1..2), u &lt; tokens (1..4): the arguments and results of the
    /// format's C# tile (<see cref="PackedGemm.Tile{TF}"/>, <see cref="NibbleDecode{TF}.Tile"/>), except that the
    /// corrections <paramref name="xc"/> are the int32 −offset·Σx of each block, offset being what the format's step
    /// bytes carry above the signed value (Q4_0 8, Q5_0 16, the others 128; <see cref="ScaleCorrections"/>).
    /// Two groups of 2..4 tokens run in one pass where the format has a pair tile (<see cref="EmittedPairCode"/>),
    /// otherwise the groups run one after the other (<see cref="EmittedTileCode"/>).</summary>
    /// <param name="vbmi">Whether the table formats use vpermb (<see cref="Vbmi"/>; false runs the vpshufb form anywhere).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(EmittedFormat format, bool vbmi, int groups, int tokens, byte* q, byte* scales, int nb, sbyte* x, float* xd, int* xc, float* y, long yStride, int rows)
    {
        long quantStride = (long)nb * EmittedTileCode.QuantBytes(format), scaleStride = (long)nb * EmittedTileCode.ScaleBytes(format);
        var constants = (byte*)ConstantBlocks.Value[(int)format];
        if (groups == 2 && tokens > 1 && EmittedPairCode.Serves(format))
        {
            Pair(PairKernels[2 * (int)format + (vbmi ? 1 : 0)].Value[tokens - 2], tokens, q, quantStride, scales, scaleStride, nb,
                x, xd, xc, constants, y, yStride, rows);
            return;
        }
        Groups(Kernels[2 * (int)format + (vbmi ? 1 : 0)].Value[tokens - 1], groups, tokens, q, quantStride, scales, scaleStride, nb,
            x, xd, xc, constants, null, y, yStride, rows);
    }

    // Two-group kernels for 2..4 tokens, per format with and without VBMI (formats without one: an empty list).
    private static readonly Lazy<nint[]>[] PairKernels =
        [.. Enum.GetValues<EmittedFormat>().SelectMany(f => new[] { false, true }.Select(v => new Lazy<nint[]>(() => EmittedPairCode.Serves(f)
            ? LoadAll([.. Enumerable.Range(2, PackedGemm.MaxTokens - 1).Select(t => EmittedPairCode.Tile(f, t, v))])
            : [])))];

    /// <summary>One two-group kernel call (<see cref="EmittedPairCode"/>), its outputs stored to y (the second group cut to
    /// the <paramref name="rows"/> left).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pair(nint code, int tokens, byte* q, long quantStride, byte* scales, long scaleStride, long blocks,
        sbyte* x, float* xd, int* xc, byte* constants, float* y, long yStride, int rows)
    {
        float* output = stackalloc float[PackedGemm.MaxTokens * 16];
        var args = new TileArgs
        {
            Quants = q, Scales = scales, Quants2 = q + quantStride, Scales2 = scales + scaleStride, X = x, TokenScales = xd,
            Corrections = xc, Blocks = blocks, Output = output, Constants = constants,
        };
        ((delegate* unmanaged[SuppressGCTransition]<TileArgs*, void>)code)(&args);
        for (int t = 0; t < tokens; t++)
            for (int g = 0; g < 2; g++)
                PackedGemm.Store(Vector256.Load(output + 16 * t + 8 * g), y + g * 8 + t * yStride, rows - g * 8);
    }

    // Q4_K and Q5_K: entry [4·five + tokens − 1] (tokens 1..4), one group per call.
    private static readonly Lazy<nint[]> KQuantKernels = new(() => LoadAll(
        [.. new[] { false, true }.SelectMany(five => Enumerable.Range(1, PackedGemm.MaxTokens).Select(t => EmittedKQuantCode.Tile(five, t)))]));

    private static readonly Lazy<nint> KQuantConstants = new(() => (nint)EmittedKQuantCode.Constants());

    /// <summary>y[u, 8g .. 8g+8) for g &lt; groups (1..2), u &lt; tokens (1..4) of a <see cref="PackedKQuantWeight"/> (Q4_K,
    /// or Q5_K with <paramref name="five"/>): the arguments and results of <see cref="KQuantMaddubs"/>' tile, each group
    /// a call (<paramref name="quantStride"/> and <paramref name="scaleStride"/> bytes after the previous).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void KQuantTile(bool five, int groups, int tokens, byte* q, long quantStride, byte* scales, long scaleStride, int supers,
        sbyte* x, float* xd, int* xc, float* y, long yStride, int rows)
    {
        byte* scratch = stackalloc byte[EmittedKQuantCode.ScratchBytes];
        Groups(KQuantKernels.Value[(five ? PackedGemm.MaxTokens : 0) + tokens - 1], groups, tokens, q, quantStride, scales, scaleStride, supers,
            x, xd, xc, (byte*)KQuantConstants.Value, scratch, y, yStride, rows);
    }

    // Q6_K: entry [tokens − 1] (tokens 1..4), one group per call.
    private static readonly Lazy<nint[]> Q6_KKernels = new(() => LoadAll([.. Enumerable.Range(1, PackedGemm.MaxTokens).Select(EmittedQ6_KCode.Tile)]));

    private static readonly Lazy<nint> Q6_KConstants = new(() => (nint)EmittedQ6_KCode.Constants());

    /// <summary>y[u, 8g .. 8g+8) for g &lt; groups (1..2), u &lt; tokens (1..4) of a <see cref="PackedQ6_KWeight"/>: the
    /// arguments and results of <see cref="Q6_KMaddubs"/>' tile (<paramref name="xc"/> the Σx of each 16-column block),
    /// each group a call.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q6_KTile(int groups, int tokens, byte* q, long quantStride, byte* scales, long scaleStride, int supers,
        sbyte* x, float* xd, int* xc, float* y, long yStride, int rows) =>
        Groups(Q6_KKernels.Value[tokens - 1], groups, tokens, q, quantStride, scales, scaleStride, supers,
            x, xd, xc, (byte*)Q6_KConstants.Value, null, y, yStride, rows);

    /// <summary>One emitted kernel on <paramref name="groups"/> consecutive 8-row groups (each <paramref name="quantStride"/>
    /// and <paramref name="scaleStride"/> bytes after the previous), its outputs stored to y (the last group cut to the
    /// <paramref name="rows"/> left).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Groups(nint code, int groups, int tokens, byte* q, long quantStride, byte* scales, long scaleStride, long blocks,
        sbyte* x, float* xd, int* xc, byte* constants, byte* scratch, float* y, long yStride, int rows)
    {
        float* output = stackalloc float[PackedGemm.MaxTokens * 8];
        // The kernel is a leaf of a few microseconds that never calls back into the runtime: no GC transition.
        var kernel = (delegate* unmanaged[SuppressGCTransition]<TileArgs*, void>)code;
        for (int g = 0; g < groups; g++)
        {
            var args = new TileArgs
            {
                Quants = q + g * quantStride, Scales = scales + g * scaleStride, X = x, TokenScales = xd, Corrections = xc,
                Blocks = blocks, Output = output, Constants = constants, Scratch = scratch,
            };
            kernel(&args);
            for (int t = 0; t < tokens; t++)
                PackedGemm.Store(Vector256.Load(output + t * 8), y + g * 8 + t * yStride, rows - g * 8);
        }
    }

    /// <summary>The int32 corrections an emitted tile starts from for a layout whose values carry <paramref name="offset"/>,
    /// in place: from Q8_0's −128·Σq per block (what <see cref="QuantizeActivations.Q8_0"/> writes) to −offset·Σq.</summary>
    public static void ScaleCorrections(int offset, int* c, int blocks)
    {
        for (int b = 0; b < blocks; b++) c[b] = c[b] / 128 * offset; // exact: c[b] is −128·Σq
    }

    /// <summary>Every token count's code for one format in one executable mapping; entry points by tokens − 1.</summary>
    private static nint[] Load(EmittedFormat format, bool vbmi) =>
        LoadAll([.. Enumerable.Range(1, PackedGemm.MaxTokens).Select(tokens => EmittedTileCode.Tile(format, tokens, vbmi))]);

    /// <summary>Code pieces in one executable mapping, each 64-byte aligned; their entry points in order.</summary>
    private static nint[] LoadAll(IReadOnlyList<byte[]> parts)
    {
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
}
