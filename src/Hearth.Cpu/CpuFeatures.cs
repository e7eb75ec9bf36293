using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hearth.Cpu;

/// <summary>Which SIMD width the kernels use. Defaults to the widest the machine accelerates; tests lower
/// <see cref="MaxVectorBits"/> to exercise every rung of the 512 → 256 → 128 → scalar ladder.</summary>
public static class CpuFeatures
{
    private static readonly int Detected =
        Vector512.IsHardwareAccelerated && Avx512BW.IsSupported ? 512 :
        Vector256.IsHardwareAccelerated && Avx2.IsSupported ? 256 :
        Vector128.IsHardwareAccelerated ? 128 : 0;

    /// <summary>Widest vector width (bits) available on this machine: 512, 256, 128 or 0.</summary>
    public static int DetectedBits => Detected;

    /// <summary>Cap on the width used (a test knob; not thread-safe against running kernels). Values above
    /// <see cref="DetectedBits"/> are clamped.</summary>
    public static int MaxVectorBits { get; set; } = 512;

    /// <summary>Whether AVX-VNNI (256-bit u8·s8 dot) may be used; tests can turn it off.</summary>
    public static bool AllowVnni { get; set; } = true;

    internal static bool Use512 => Detected >= 512 && MaxVectorBits >= 512;
    internal static bool Use256 => Detected >= 256 && MaxVectorBits >= 256;
    internal static bool Use128 => Detected >= 128 && MaxVectorBits >= 128;
    /// <summary>Test knob for machines without AVX-VNNI (AVX2 only): weights are packed and the packed kernels run with a
    /// software vpdpbusd (exact, slow), so the packed layouts and kernels are tested where the instruction is missing.</summary>
    public static bool EmulateVnni { get; set; }

    /// <summary>True when the packed layouts are built and used: AVX-VNNI on the machine, or <see cref="EmulateVnni"/>.</summary>
    internal static bool PackedAvailable => (AvxVnni.IsSupported || EmulateVnni) && Avx2.IsSupported;

    /// <summary>AVX-VNNI instructions in the row kernels (hardware only).</summary>
    internal static bool UseVnni => AllowVnni && AvxVnni.IsSupported && Use256;

    /// <summary>Packed weights go through the packed kernels (hardware AVX-VNNI or <see cref="EmulateVnni"/>).</summary>
    internal static bool UsePacked => AllowVnni && PackedAvailable && Use256;

    /// <summary>Effective path name, for logs and benchmark labels.</summary>
    public static string PathName => Use512 ? "avx512" : Use256 ? (UseVnni ? "avx2+vnni" : UsePacked ? "avx2+emulated-vnni" : "avx2") : Use128 ? "sse" : "scalar";
}
