using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hearth.Cpu;

/// <summary>The instruction-set level one <see cref="CpuBackend"/>'s kernels run at: the widest vector width of the
/// 512 → 256 → 128 → scalar ladder, and whether AVX-VNNI may be used. A backend holds its own, so backends at different
/// levels (tests of every rung) can run side by side in one process.</summary>
public readonly record struct CpuIsa
{
    /// <summary>Widest vector width (bits) this machine accelerates: 512, 256, 128 or 0.</summary>
    public static int DetectedBits { get; } =
        Vector512.IsHardwareAccelerated && Avx512BW.IsSupported ? 512 :
        Vector256.IsHardwareAccelerated && Avx2.IsSupported ? 256 :
        Vector128.IsHardwareAccelerated ? 128 : 0;

    /// <summary>Everything this machine has: the default of a backend.</summary>
    public static CpuIsa Detected { get; } = new(512);

    /// <param name="maxBits">Cap on the vector width; values above <see cref="DetectedBits"/> are clamped.</param>
    /// <param name="allowVnni">Whether the packed u8·s8 kernels (AVX-VNNI's vpdpbusd, or the same composed from AVX2
    /// where the machine lacks it) and AVX-VNNI in the row kernels may be used; false keeps the plain row kernels.</param>
    public CpuIsa(int maxBits, bool allowVnni = true)
    {
        Bits = Math.Min(maxBits, DetectedBits) switch { >= 512 => 512, >= 256 => 256, >= 128 => 128, _ => 0 };
        AllowVnni = allowVnni;
    }

    /// <summary>The vector width used: 512, 256, 128 or 0 (scalar).</summary>
    public int Bits { get; }
    public bool AllowVnni { get; }

    internal bool Use512 => Bits >= 512;
    internal bool Use256 => Bits >= 256;
    internal bool Use128 => Bits >= 128;

    /// <summary>True when the packed layouts are built: any AVX2 machine. Without AVX-VNNI the packed kernels compute
    /// each step's u8·s8 dot exactly from vpmaddubsw/vpmaddwd (<see cref="Packed.PackedDots"/>); measured faster than the
    /// row kernels there too (KernelMatMulBenchmarks, Q8_0 2048 → 8192 on an AVX2-only EPYC, 2 threads, quiet, with the
    /// older 9-instruction composition: 0.47× the time at 1 token, 0.75× at 16, 0.77× at 512).</summary>
    internal bool PackedAvailable => Avx2.IsSupported;

    /// <summary>AVX-VNNI instructions in the row kernels (hardware only).</summary>
    internal bool UseVnni => AllowVnni && AvxVnni.IsSupported && Use256;

    /// <summary>Packed weights go through the packed kernels.</summary>
    internal bool UsePacked => AllowVnni && PackedAvailable && Use256;

    /// <summary>The packed int8 formats run the tile kernels emitted for AVX-512 VNNI (<see cref="Emitted.EmittedKernels"/>):
    /// the top rung of a machine that has it (they use ymm registers only, so this includes machines where .NET does not
    /// accelerate Vector512); lower rungs keep the C# kernels, which tests then compare them with.</summary>
    internal bool UseEmittedVnni => UsePacked && Bits == DetectedBits && Emitted.EmittedKernels.Vnni512Supported;

    /// <summary>BF16 products run the emitted AVX512_BF16 tile (<see cref="Kernels.BF16PanelGemm"/>), decode and batches
    /// alike: the top rung of a machine that has it; lower rungs, and the top one without VNNI allowed, keep the F32
    /// kernels.</summary>
    internal bool UseEmittedBF16 => Use512 && AllowVnni && Bits == DetectedBits && Emitted.EmittedKernels.BF16Supported;

    /// <summary>Effective path name, for logs and benchmark labels.</summary>
    public string PathName => Use512 ? (UseEmittedVnni ? UseEmittedBF16 ? "avx512+vnni+bf16" : "avx512+vnni" : "avx512") : Use256 ? (UseVnni ? "avx2+vnni" : UsePacked ? "avx2+packed" : "avx2") : Use128 ? "sse" : "scalar";
}
