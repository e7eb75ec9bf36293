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
    /// <param name="allowVnni">Whether AVX-VNNI (256-bit u8·s8 dot) may be used.</param>
    /// <param name="emulateVnni">For machines without AVX-VNNI (AVX2 only): weights are packed and the packed kernels
    /// run with a software vpdpbusd (exact, slow), so the packed layouts and kernels are tested where the instruction
    /// is missing.</param>
    public CpuIsa(int maxBits, bool allowVnni = true, bool emulateVnni = false)
    {
        Bits = Math.Min(maxBits, DetectedBits) switch { >= 512 => 512, >= 256 => 256, >= 128 => 128, _ => 0 };
        AllowVnni = allowVnni;
        EmulateVnni = emulateVnni;
    }

    /// <summary>The vector width used: 512, 256, 128 or 0 (scalar).</summary>
    public int Bits { get; }
    public bool AllowVnni { get; }
    public bool EmulateVnni { get; }

    internal bool Use512 => Bits >= 512;
    internal bool Use256 => Bits >= 256;
    internal bool Use128 => Bits >= 128;

    /// <summary>True when the packed layouts are built: AVX-VNNI on the machine, or <see cref="EmulateVnni"/>.</summary>
    internal bool PackedAvailable => (AvxVnni.IsSupported || EmulateVnni) && Avx2.IsSupported;

    /// <summary>AVX-VNNI instructions in the row kernels (hardware only).</summary>
    internal bool UseVnni => AllowVnni && AvxVnni.IsSupported && Use256;

    /// <summary>Packed weights go through the packed kernels (hardware AVX-VNNI or <see cref="EmulateVnni"/>).</summary>
    internal bool UsePacked => AllowVnni && PackedAvailable && Use256;

    /// <summary>Effective path name, for logs and benchmark labels.</summary>
    public string PathName => Use512 ? "avx512" : Use256 ? (UseVnni ? "avx2+vnni" : UsePacked ? "avx2+emulated-vnni" : "avx2") : Use128 ? "sse" : "scalar";
}
