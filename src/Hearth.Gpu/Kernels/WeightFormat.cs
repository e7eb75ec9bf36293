namespace Hearth.Gpu.Kernels;

/// <summary>How a weight's bytes are laid out on the device (kernels branch on it; the values are part of the
/// kernels' ABI).</summary>
public enum WeightFormat
{
    /// <summary>Row-major F32.</summary>
    F32 = 0,
    /// <summary>Row-major IEEE half.</summary>
    F16 = 1,
    /// <summary>Row-major bfloat16.</summary>
    BF16 = 2,
    /// <summary>GGUF Q8_0 blocks (34 bytes per 32: f16 scale, 32 int8), read in place.</summary>
    Q8_0 = 3,
    /// <summary>GGUF Q4_K super-blocks (144 bytes per 256), read in place.</summary>
    Q4_K = 4,
    /// <summary>GGUF MXFP4 blocks (17 bytes per 32: an E8M0 exponent, 16 bytes of E2M1 nibbles), read in place (gpt-oss experts).</summary>
    MXFP4 = 5,
    /// <summary>GGUF Q6_K super-blocks (210 bytes per 256: 6-bit quants, 16 int8 scales of 16 elements, f16 d), read in place.</summary>
    Q6_K = 6,
}
