using System.Runtime.InteropServices;
using Hearth.Core.Gguf;
using Hearth.Core.Quants;

namespace Hearth.Core.Tests.Quants;

/// <summary>Quantize → dequantize stays within each format's error bound on random data.</summary>
public class QuantizerErrorTests
{
    private static float[] Gaussian(int n, int seed, float std)
    {
        var rng = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++)
            x[i] = std * (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        x[5] = 0; x[300] = -4 * std; // a zero and an outlier
        return x;
    }

    private static float[] RoundTrip(GgmlType t, float[] x)
    {
        var bytes = new byte[GgmlTypeInfo.RowBytes(t, x.Length)];
        Quantizer.Quantize(t, x, bytes);
        var y = new float[x.Length];
        Dequantizer.Dequantize(t, bytes, y);
        return y;
    }

    /// <summary>Per block: max |error| ≤ factor × block amax; and overall relative RMS error ≤ rmsBound.</summary>
    [Theory]
    [InlineData(GgmlType.F32, 1, 0.0, 0.0)]
    [InlineData(GgmlType.F16, 32, 0.0005, 0.0005)]
    [InlineData(GgmlType.BF16, 32, 0.004, 0.004)]
    [InlineData(GgmlType.Q8_0, 32, 0.5 / 127 + 1.0 / 2048, 0.008)]  // + rounding d to half
    [InlineData(GgmlType.Q8_K, 256, 0.5 / 127 * 1.01, 0.01)]
    [InlineData(GgmlType.Q6_K, 256, 0.04, 0.02)]
    [InlineData(GgmlType.Q4_0, 32, 1.0 / 8 * 1.01, 0.12)]
    [InlineData(GgmlType.Q5_0, 32, 1.0 / 16 * 1.01, 0.06)]
    [InlineData(GgmlType.Q4_K, 256, 0.1, 0.1)]
    [InlineData(GgmlType.Q4_1, 32, 2.0 / 15 * 0.51 + 0.002, 0.08)]
    [InlineData(GgmlType.Q5_1, 32, 2.0 / 31 * 0.51 + 0.002, 0.04)]
    [InlineData(GgmlType.Q5_K, 256, 0.05, 0.05)]
    [InlineData(GgmlType.Q3_K, 256, 0.25, 0.2)]
    [InlineData(GgmlType.Q2_K, 256, 0.45, 0.4)]
    [InlineData(GgmlType.IQ4_NL, 32, 0.12, 0.1)] // negative-side values reach only 113/127 of a positive max
    [InlineData(GgmlType.IQ4_XS, 256, 0.12, 0.1)]
    [InlineData(GgmlType.MXFP4, 32, 1.0 / 3, 0.2)]
    public void ErrorIsBounded(GgmlType type, int block, double factor, double rmsBound)
    {
        float[] x = Gaussian(4096, 42, 0.02f);
        float[] y = RoundTrip(type, x);
        double se = 0, ss = 0;
        for (int b = 0; b < x.Length; b += block)
        {
            float amax = 0;
            for (int i = b; i < b + block; i++) amax = Math.Max(amax, Math.Abs(x[i]));
            for (int i = b; i < b + block; i++)
                Assert.True(Math.Abs(x[i] - y[i]) <= factor * amax, $"{type} element {i}: {x[i]} → {y[i]}");
        }
        for (int i = 0; i < x.Length; i++) { se += (x[i] - y[i]) * (double)(x[i] - y[i]); ss += x[i] * (double)x[i]; }
        Assert.True(Math.Sqrt(se / ss) <= rmsBound, $"{type}: relative RMS error {Math.Sqrt(se / ss)}");
        if (type is not (GgmlType.Q4_K or GgmlType.Q4_1 or GgmlType.Q5_1 or GgmlType.Q5_K or GgmlType.Q2_K or GgmlType.IQ4_NL or GgmlType.IQ4_XS))
            Assert.Equal(0f, y[5]); // symmetric formats keep an exact zero
    }

    [Fact]
    public void Q8_0_UsesRoundHalfAwayFromZero()
    {
        // amax 127 → d = 1 exactly; 2.5 → 3 and −2.5 → −3 (roundf), where banker's rounding would give 2 and −2.
        var x = new float[32];
        x[0] = 127; x[1] = 2.5f; x[2] = -2.5f; x[3] = 0.5f;
        var bytes = new byte[34];
        Quantizer.Quantize(GgmlType.Q8_0, x, bytes);
        Assert.Equal(new byte[] { 0x00, 0x3C, 127, 3, unchecked((byte)-3), 1 }, bytes[..6]);
    }

    [Fact]
    public void Q4_0_MapsTheLargestMagnitudeToMinus8()
    {
        var x = new float[32];
        x[0] = 8; x[1] = -4; x[16] = 1;
        var bytes = new byte[18];
        Quantizer.Quantize(GgmlType.Q4_0, x, bytes);
        Assert.Equal(BitConverter.HalfToUInt16Bits((Half)(-1f)), BitConverter.ToUInt16(bytes, 0));
        Assert.Equal(0x70, bytes[2]);          // element 0: −8 → 0; element 16: x=1 → −1 → 7 (high nibble)
        Assert.Equal(0x0C, bytes[3] & 0x0F);   // element 1: 4 → 12
        Assert.Equal(0x88, bytes[4]);          // zeros → 8
    }

    [Fact]
    public void Q5_0_MapsTheLargestMagnitudeToMinus16()
    {
        // max 16 → d = −1: 16 → 0, −4 → 20 (low nibble 4, fifth bit set), 1 → 15, zeros → 16 (fifth bit only).
        var x = new float[32];
        x[0] = 16; x[1] = -4; x[16] = 1;
        var bytes = new byte[22];
        Quantizer.Quantize(GgmlType.Q5_0, x, bytes);
        Assert.Equal(BitConverter.HalfToUInt16Bits((Half)(-1f)), BitConverter.ToUInt16(bytes, 0));
        Assert.Equal(0xFFFEFFFEu, BitConverter.ToUInt32(bytes, 2)); // fifth bits: all but elements 0 and 16
        Assert.Equal(0xF0, bytes[6]);   // element 0 → 0 (low), element 16 → 15 (high)
        Assert.Equal(0x04, bytes[7]);   // element 1 → 20 & 15, element 17 → 16 & 15
        Assert.Equal(0x00, bytes[8]);
        var back = new float[32];
        Dequantizer.Dequantize(GgmlType.Q5_0, bytes, back);
        Assert.Equal(x, back);
    }

    [Fact]
    public void Q8_K_BlockSumsAndScale()
    {
        float[] x = Gaussian(512, 7, 1f);
        var bytes = new byte[2 * BlockQ8_K.Bytes];
        Quantizer.Quantize(GgmlType.Q8_K, x, bytes);
        var blocks = MemoryMarshal.Cast<byte, BlockQ8_K>(bytes);
        for (int b = 0; b < 2; b++)
        {
            float amax = x.Skip(b * 256).Take(256).Max(Math.Abs);
            Assert.Equal(amax / 127, Math.Abs(blocks[b].D), 1e-6f);
            for (int g = 0; g < 16; g++)
            {
                int sum = 0;
                for (int i = 0; i < 16; i++) sum += (sbyte)bytes[b * BlockQ8_K.Bytes + 4 + g * 16 + i];
                Assert.Equal(sum, BitConverter.ToInt16(bytes, b * BlockQ8_K.Bytes + 4 + 256 + g * 2));
            }
        }
        var zeros = new byte[BlockQ8_K.Bytes];
        Quantizer.Quantize(GgmlType.Q8_K, new float[256], zeros);
        Assert.All(zeros, v => Assert.Equal(0, v));
    }
}
