using System.Buffers.Binary;
using Hearth.Core.Gguf;
using Hearth.Core.Quants;

namespace Hearth.Core.Tests.Quants;

/// <summary>IQ4_NL, IQ4_XS and MXFP4: hand-built blocks whose values follow from ggml's layouts and tables
/// (kvalues_iq4nl, kvalues_mxfp4, E8M0 with the half scale), written out here independently of the code.</summary>
public class NonLinearLayoutTests
{
    private static readonly int[] Iq4 = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];
    private static readonly float[] E2M1 = [0, 0.5f, 1, 1.5f, 2, 3, 4, 6, -0f, -0.5f, -1, -1.5f, -2, -3, -4, -6];

    private static float[] Deq(GgmlType t, byte[] block, int n)
    {
        var y = new float[n];
        Dequantizer.Dequantize(t, block, y);
        return y;
    }

    [Fact]
    public void IQ4_NL_LooksUpEveryNibble()
    {
        var b = new byte[18];
        BinaryPrimitives.WriteUInt16LittleEndian(b, BitConverter.HalfToUInt16Bits((Half)0.25f));
        for (int j = 0; j < 16; j++) b[2 + j] = (byte)(j | (15 - j) << 4);
        var y = Deq(GgmlType.IQ4_NL, b, 32);
        for (int j = 0; j < 16; j++)
        {
            Assert.Equal(0.25f * Iq4[j], y[j]);
            Assert.Equal(0.25f * Iq4[15 - j], y[j + 16]);
        }
    }

    [Fact]
    public void IQ4_XS_SixBitScalesFromLowNibblesAndHighPairs()
    {
        var b = new byte[136];
        BinaryPrimitives.WriteUInt16LittleEndian(b, BitConverter.HalfToUInt16Bits((Half)0.5f));
        int[] codes = [0, 63, 32, 33, 17, 48, 31, 5];
        int high = 0;
        for (int ib = 0; ib < 8; ib++)
        {
            b[4 + ib / 2] |= (byte)((codes[ib] & 0xF) << (4 * (ib % 2)));
            high |= (codes[ib] >> 4) << (2 * ib);
        }
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2), (ushort)high);
        for (int i = 0; i < 128; i++) b[8 + i] = (byte)((i % 16) | ((i * 7) % 16) << 4);
        var y = Deq(GgmlType.IQ4_XS, b, 256);
        for (int ib = 0; ib < 8; ib++)
            for (int j = 0; j < 16; j++)
            {
                int q = 8 + ib * 16 + j;
                float dl = 0.5f * (codes[ib] - 32);
                Assert.Equal(dl * Iq4[b[q] & 0xF], y[ib * 32 + j]);
                Assert.Equal(dl * Iq4[b[q] >> 4], y[ib * 32 + j + 16]);
            }
    }

    [Theory]
    [InlineData(127, 1f)]          // 2^0: the E2M1 values as they are
    [InlineData(130, 8f)]
    [InlineData(100, 7.450580596923828e-09f)] // 2^-27
    [InlineData(1, 1.1754943508222875e-38f)]   // 2^-126: the half scale of e = 1 is the subnormal 2^-127 · 2
    [InlineData(0, 5.877471754111438e-39f)]    // 2^-127
    public void MXFP4_E8M0ScaleTimesE2M1(byte e, float unit)
    {
        var b = new byte[17];
        b[0] = e;
        for (int j = 0; j < 16; j++) b[1 + j] = (byte)(j | (15 - j) << 4);
        var y = Deq(GgmlType.MXFP4, b, 32);
        for (int j = 0; j < 16; j++)
        {
            Assert.Equal(E2M1[j] * unit, y[j]);
            Assert.Equal(E2M1[15 - j] * unit, y[j + 16]);
        }
    }

    [Fact]
    public void QuantizersPickTheNearestTableValue()
    {
        // One MXFP4 block whose largest magnitude is 6: exponent 127 (scale 1), every E2M1 value representable exactly.
        float[] x = new float[32];
        for (int j = 0; j < 16; j++) { x[j] = E2M1[j]; x[j + 16] = E2M1[j] * 0.999f; }
        var b = new byte[17];
        Quantizer.Quantize(GgmlType.MXFP4, x, b);
        Assert.Equal(127, b[0]);
        var y = Deq(GgmlType.MXFP4, b, 32);
        for (int j = 0; j < 16; j++) Assert.Equal(E2M1[j], y[j]);
    }
}
