using System.Buffers.Binary;
using Hearth.Core.Gguf;
using Hearth.Core.Quants;

namespace Hearth.Core.Tests.Quants;

/// <summary>Formats without a llama.cpp reference file: hand-built blocks whose values follow from the ggml layout.</summary>
public class BlockLayoutTests
{
    private static void PutHalf(byte[] b, int at, float v) => BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(at), BitConverter.HalfToUInt16Bits((Half)v));

    private static float[] Deq(GgmlType t, byte[] block, int n)
    {
        var y = new float[n];
        Dequantizer.Dequantize(t, block, y);
        return y;
    }

    [Fact]
    public void Q4_1_LowNibblesFirstHalfHighNibblesSecond()
    {
        var b = new byte[20];
        PutHalf(b, 0, 0.5f); PutHalf(b, 2, -1f);
        for (int j = 0; j < 16; j++) b[4 + j] = (byte)(j | ((15 - j) << 4));
        var y = Deq(GgmlType.Q4_1, b, 32);
        for (int j = 0; j < 16; j++)
        {
            Assert.Equal(j * 0.5f - 1f, y[j]);
            Assert.Equal((15 - j) * 0.5f - 1f, y[j + 16]);
        }
    }

    [Fact]
    public void Q5_0_FifthBitOfElementJIsBitJOfQh()
    {
        var b = new byte[22];
        PutHalf(b, 0, 2f);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(2), 0x0002_0001); // element 0 and element 17
        for (int j = 0; j < 16; j++) b[6 + j] = 0x53; // low 3, high 5
        var y = Deq(GgmlType.Q5_0, b, 32);
        for (int i = 0; i < 32; i++)
        {
            int q = (i < 16 ? 3 : 5) + (i is 0 or 17 ? 16 : 0) - 16;
            Assert.Equal(q * 2f, y[i]);
        }
    }

    [Fact]
    public void Q5_1_AddsMinAndFifthBit()
    {
        var b = new byte[24];
        PutHalf(b, 0, 0.25f); PutHalf(b, 2, 1f);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), 0x8000_0002); // element 1 and element 31
        var y = Deq(GgmlType.Q5_1, b, 32);
        for (int i = 0; i < 32; i++)
            Assert.Equal((i is 1 or 31 ? 16 : 0) * 0.25f + 1f, y[i]);
    }

    [Fact]
    public void Q2_K_ShiftsSelectGroupsOf32()
    {
        var b = new byte[84];
        for (int i = 0; i < 16; i++) b[i] = (byte)((i % 3 + 1) | (1 << 4));
        for (int i = 0; i < 64; i++) b[16 + i] = 0b11_10_01_00;
        PutHalf(b, 80, 1f); PutHalf(b, 82, 0.5f);
        var y = Deq(GgmlType.Q2_K, b, 256);
        for (int i = 0; i < 256; i++)
            Assert.Equal((i / 16 % 3 + 1) * ((i % 128) / 32) - 0.5f, y[i]);
    }

    [Fact]
    public void Q3_K_HighMaskBitsAndSixBitScales()
    {
        var b = new byte[110];
        for (int i = 0; i < 32; i++) b[i] = 0x01;          // hmask: only shift group 0 of the first half has the high bit
        for (int i = 0; i < 64; i++) b[32 + i] = 0b11_10_01_00;
        for (int i = 0; i < 8; i++) b[96 + i] = 0x21;       // low scale nibbles: 1 for scales 0..7, 2 for 8..15
        for (int i = 8; i < 12; i++) b[96 + i] = 0xAA;      // high bits 2 → +32
        PutHalf(b, 108, 0.5f);
        var y = Deq(GgmlType.Q3_K, b, 256);
        for (int i = 0; i < 256; i++)
        {
            int group = (i % 128) / 32;
            int offset = i < 32 ? 0 : 4;
            int scale = i / 16 < 8 ? 1 : 2;
            Assert.Equal(0.5f * scale * (group - offset), y[i]);
        }
    }

    [Fact]
    public void Q5_K_ScalesMinsAndHighBits()
    {
        var b = new byte[176];
        PutHalf(b, 0, 1f); PutHalf(b, 2, 1f);
        for (int j = 0; j < 4; j++) { b[4 + j] = (byte)(j + 1); b[8 + j] = (byte)(j == 3 ? 1 : 0); }
        for (int j = 8; j < 12; j++) b[4 + j] = 0x05;      // sub-blocks 4..7: scale 5, min 0
        for (int l = 0; l < 32; l++) b[16 + l] = 0b0000_0101; // +16 for sub-blocks 0 and 2
        for (int l = 0; l < 128; l++) b[48 + l] = 0x21;
        var y = Deq(GgmlType.Q5_K, b, 256);
        float[] expected = [17, 4, 51, 4 * 2 - 1, 5, 10, 5, 10];
        for (int i = 0; i < 256; i++)
            Assert.Equal(expected[i / 32], y[i]);
    }

    [Fact]
    public void BF16_RoundsToNearestEven()
    {
        float[] x = [1f, BitConverter.Int32BitsToSingle(0x3F808000), BitConverter.Int32BitsToSingle(0x3F818000), BitConverter.Int32BitsToSingle(0x3F808001)];
        var bytes = new byte[8];
        Quantizer.Quantize(GgmlType.BF16, x, bytes);
        Assert.Equal(new ushort[] { 0x3F80, 0x3F80, 0x3F82, 0x3F81 },
            Enumerable.Range(0, 4).Select(i => BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i * 2))).ToArray());
        var back = Deq(GgmlType.BF16, bytes, 4);
        Assert.Equal(BitConverter.Int32BitsToSingle(0x3F820000), back[2]);
    }

    [Fact]
    public void WrongSizesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => Dequantizer.Dequantize(GgmlType.Q8_0, new byte[34], new float[33]));
        Assert.Throws<ArgumentException>(() => Dequantizer.Dequantize(GgmlType.Q8_0, new byte[33], new float[32]));
        Assert.Throws<NotSupportedException>(() => Dequantizer.Dequantize(GgmlType.I32, new byte[4], new float[1]));
        Assert.Throws<NotSupportedException>(() => Quantizer.Quantize(GgmlType.I32, new float[1], new byte[4]));
    }
}
