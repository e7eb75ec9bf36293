using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Cpu.Emitted;
using Hearth.Cpu.Packed;

namespace Hearth.Cpu.Tests;

/// <summary>The kernels assembled at startup (<see cref="EmittedKernels"/>): the assembler's encodings byte for byte
/// against GNU as 2.44 (`as` with {disp32} / {evex} where it would pick a shorter form, disassembled by objdump), and the
/// emitted AVX-512 VNNI Q8_0 tile against the C# tile kernel, bit for bit (on machines with AVX512_VNNI).</summary>
public sealed class EmittedKernelTests
{
    public static IEnumerable<object[]> Encodings()
    {
        yield return Case(a => a.VpdpbusdBroadcast(24, 0, Gpr.R9, 0x1c), "62 42 7d 38 50 81 1c 00 00 00"); // vpdpbusd ymm24,ymm0,DWORD BCST [r9+0x1c]
        yield return Case(a => a.VpdpbusdBroadcast(31, 1, Gpr.Rsi, 0x10), "62 62 75 38 50 be 10 00 00 00");
        yield return Case(a => a.VpbroadcastdLoad(25, Gpr.R11, 0x100), "62 42 7d 28 58 8b 00 01 00 00");
        yield return Case(a => a.VmovdquLoad(0, Gpr.Rsi, 0x20), "62 f1 7e 28 6f 86 20 00 00 00"); // vmovdqu32
        yield return Case(a => a.VmovdquLoad(17, Gpr.R12, -8), "62 c1 7e 28 6f 8c 24 f8 ff ff ff"); // r12 needs a SIB byte
        yield return Case(a => a.Vcvtph2psLoad(3, Gpr.R8, 0), "62 d2 7d 28 13 98 00 00 00 00");
        yield return Case(a => a.Vcvtdq2ps(4, 24), "62 91 7c 28 5b e0");
        yield return Case(a => a.VmulpsBroadcast(5, 2, Gpr.R10, 4), "62 d1 6c 38 59 aa 04 00 00 00");
        yield return Case(a => a.Vfmadd231ps(16, 4, 5), "62 e2 5d 28 b8 c5");
        yield return Case(a => a.Vfmadd231ps(7, 19, 30), "62 92 65 20 b8 fe");
        yield return Case(a => a.Zero(17), "62 a1 75 20 ef c9"); // vpxord ymm17,ymm17,ymm17
        yield return Case(a => a.VmovupsStore(Gpr.Rdi, 0xe0, 23), "62 e1 7c 28 11 bf e0 00 00 00");
        yield return Case(a => a.Vpandd(10, 0, 9), "62 51 7d 28 db d1");
        yield return Case(a => a.Vpord(0, 0, 20), "62 b1 7d 28 eb c4");
        yield return Case(a => a.VpsrlwImmediate(10, 0, 4), "62 f1 2d 28 71 d0 04");
        yield return Case(a => a.VpsrlwImmediate(21, 12, 3), "62 d1 55 20 71 d4 03");
        yield return Case(a => a.VpsllwImmediate(4, 13, 2), "62 d1 5d 28 71 f5 02");
        yield return Case(a => a.Vpshufb(0, 8, 0), "62 f2 3d 28 00 c0");
        yield return Case(a => a.Vpshufb(11, 8, 11), "62 52 3d 28 00 db");
        yield return Case(a => a.Vpermb(0, 0, 8), "62 d2 7d 28 8d c0");
        yield return Case(a => a.Vpermb(11, 11, 8), "62 52 25 28 8d d8");
        yield return Case(a => a.Vpermb(20, 1, 30), "62 82 75 28 8d e6");
        yield return Case(a => a.Vpmulld(20, 20, 2), "62 e2 5d 20 40 e2");
        yield return Case(a => a.Vpaddd(24, 24, 20), "62 21 3d 20 fe c4");
        yield return Case(a => a.Vfmadd231psBroadcast(16, 3, Gpr.R11, 4), "62 c2 65 38 b8 83 04 00 00 00");
        yield return Case(a => a.VmovdquStore(Gpr.Rdx, 0x40, 1), "62 f1 7e 28 7f 8a 40 00 00 00");
        yield return Case(a => a.MovImmediate(Gpr.R8, 8), "49 c7 c0 08 00 00 00");
        yield return Case(a => a.Vmulps(3, 5, 3), "62 f1 54 28 59 db");
        yield return Case(a => a.AddImmediate(Gpr.Rdx, -0x1000), "48 81 c2 00 f0 ff ff");
        yield return Case(a => a.VpmovzxbdLoad(2, Gpr.Rcx, 0), "62 f2 7d 28 31 91 00 00 00 00");
        yield return Case(a => a.VpslldImmediate(2, 2, 23), "62 f1 6d 28 72 f2 17");
        yield return Case(a => a.VmovupsLoad(3, Gpr.R8, 0x20), "62 d1 7c 28 10 98 20 00 00 00");
        yield return Case(a => a.VpbroadcastdLoad(9, Gpr.Rbx, 0x20), "62 72 7d 28 58 8b 20 00 00 00");
        yield return Case(a => a.MovLoad(Gpr.Rsi, Gpr.Rdi, 0x40), "48 8b b7 40 00 00 00");
        yield return Case(a => a.MovLoad(Gpr.R11, Gpr.Rdi, 0x30), "4c 8b 9f 30 00 00 00");
        yield return Case(a => a.AddImmediate(Gpr.Rsi, 0x100), "48 81 c6 00 01 00 00");
        yield return Case(a => a.AddImmediate(Gpr.R10, 0x1000), "49 81 c2 00 10 00 00");
        yield return Case(a => a.Dec(Gpr.Rax), "48 ff c8");
        yield return Case(a => a.Dec(Gpr.R9), "49 ff c9");
        yield return Case(a => { a.Dec(Gpr.Rax); a.JumpIfNotZero(0); }, "48 ff c8 0f 85 f7 ff ff ff"); // back to the dec
        yield return Case(a => { a.Vzeroupper(); a.Ret(); }, "c5 f8 77 c3");
        yield return Case(a => a.Prefetcht0(Gpr.Rsi, 0x600), "0f 18 8e 00 06 00 00");
        yield return Case(a => a.Prefetcht0(Gpr.Rcx, 0x60), "0f 18 89 60 00 00 00");
        yield return Case(a => a.Prefetcht0(Gpr.R12, 0x40), "41 0f 18 8c 24 40 00 00 00");
        yield return Case(a => a.Prefetcht0(Gpr.R9, 0x10), "41 0f 18 89 10 00 00 00");
        yield return Case(a => a.Prefetcht1(Gpr.Rsi, 0x1000), "0f 18 96 00 10 00 00");
        yield return Case(a => a.VpdpbusdReg(24, 0, 12), "62 42 7d 28 50 c4");
        yield return Case(a => a.VpdpbusdReg(31, 3, 15), "62 42 65 28 50 ff");
        yield return Case(a => a.VpdpbusdReg(28, 2, 14), "62 42 6d 28 50 e6");
        yield return Case(a => a.Prefetcht1(Gpr.R12, 0x40), "41 0f 18 94 24 40 00 00 00");
        // The BF16 tile's 512-bit forms (AVX512_BF16's vdpbf16ps; loads, stores and zeroing of zmm).
        yield return Case(a => a.Vdpbf16ps512(8, 0, 4), "62 72 7e 48 52 c4");
        yield return Case(a => a.Vdpbf16ps512(31, 3, 4), "62 62 66 48 52 fc");
        yield return Case(a => a.Vdpbf16ps512(9, 17, 20), "62 32 76 40 52 cc");
        yield return Case(a => a.VmovupsLoad512(0, Gpr.Rsi, 0x800), "62 f1 7c 48 10 86 00 08 00 00");
        yield return Case(a => a.VmovupsLoad512(4, Gpr.R11, 0x40), "62 d1 7c 48 10 a3 40 00 00 00");
        yield return Case(a => a.VmovupsLoad512(2, Gpr.R12, 0x1800), "62 d1 7c 48 10 94 24 00 18 00 00");
        yield return Case(a => a.VmovupsStore512(Gpr.Rax, 0x5c0, 31), "62 61 7c 48 11 b8 c0 05 00 00");
        yield return Case(a => a.VmovupsStore512(Gpr.Rax, 0, 8), "62 71 7c 48 11 80 00 00 00 00");
        yield return Case(a => a.Zero512(8), "62 51 3d 48 ef c0");
        yield return Case(a => a.Zero512(31), "62 01 05 40 ef ff");
        yield return Case(a => a.VpmovsxbdLoad(2, Gpr.Rcx, 0x10), "62 f2 7d 28 21 91 10 00 00 00"); // Q6_K's signed block scales
        yield return Case(a => a.VpmovsxbdLoad(2, Gpr.Rcx, 0x88), "62 f2 7d 28 21 91 88 00 00 00");
        // The compact BF16 decode kernel's (EmittedCompactBF16Code).
        yield return Case(a => a.VpmovzxbwLoad512(5, Gpr.Rsi, 0), "62 f2 7d 48 30 ae 00 00 00 00");
        yield return Case(a => a.VpmovzxbwLoad512(6, Gpr.R8, 0x60), "62 d2 7d 48 30 b0 60 00 00 00");
        yield return Case(a => a.VpsllwImmediate512(7, 5, 4), "62 f1 45 48 71 f5 04");
        yield return Case(a => a.Vpternlogd512(7, 5, 9, 0xd8), "62 d3 55 48 25 f9 d8");
        yield return Case(a => a.Vbroadcasti32x4Load512(10, Gpr.Rax, 0), "62 72 7d 48 5a 90 00 00 00 00");
        yield return Case(a => a.Vbroadcasti32x4Load512(10, Gpr.R11, 0x10), "62 52 7d 48 5a 93 10 00 00 00");
        yield return Case(a => a.Vpermb512(11, 7, 10), "62 52 45 48 8d da");
        yield return Case(a => a.Vpunpcklbw512(13, 12, 11), "62 51 1d 48 60 eb");
        yield return Case(a => a.Vpunpckhbw512(14, 12, 11), "62 51 1d 48 68 f3");
        yield return Case(a => a.Vpunpcklbw512(22, 20, 21), "62 a1 5d 40 60 f5");
        yield return Case(a => a.MovzxByteLoad(Gpr.Rax, Gpr.Rdx, 2), "0f b6 82 02 00 00 00");
        yield return Case(a => a.MovzxByteLoad(Gpr.R11, Gpr.R10, 0), "45 0f b6 9a 00 00 00 00");
        yield return Case(a => a.MovzxByteLoad(Gpr.Rdx, Gpr.R9, 3), "41 0f b6 91 03 00 00 00");
        yield return Case(a => a.ShiftLeftImmediate(Gpr.Rax, 4), "48 c1 e0 04");
        yield return Case(a => a.ShiftLeftImmediate(Gpr.R11, 7), "49 c1 e3 07");
        yield return Case(a => a.Add(Gpr.Rax, Gpr.R9), "4c 01 c8");
        yield return Case(a => a.Add(Gpr.R11, Gpr.Rcx), "49 01 cb");
        yield return Case(a => a.Add(Gpr.R10, Gpr.Rdx), "49 01 d2");
        yield return Case(a => a.Add(Gpr.R12, Gpr.R12), "4d 01 e4");
        yield return Case(a => a.Add(Gpr.R13, Gpr.R8), "4d 01 c5");
        yield return Case(a => a.Sub(Gpr.R12, Gpr.Rsi), "49 29 f4");
        yield return Case(a => a.Sub(Gpr.Rcx, Gpr.R9), "4c 29 c9");
        yield return Case(a => a.Mov(Gpr.R12, Gpr.R8), "4d 89 c4");
        yield return Case(a => a.Mov(Gpr.R13, Gpr.R12), "4d 89 e5");
        yield return Case(a => a.Mov(Gpr.Rax, Gpr.Rsi), "48 89 f0");
        yield return Case(a => a.Push(Gpr.R12), "41 54");
        yield return Case(a => a.Pop(Gpr.R13), "41 5d");
        yield return Case(a => a.Push(Gpr.Rbx), "53");
        yield return Case(a => a.Pop(Gpr.Rbx), "5b");
        yield return Case(a => a.Prefetcht1(Gpr.R13, 0), "41 0f 18 95 00 00 00 00");
        yield return Case(a => a.CompareImmediate(Gpr.Rcx, 0xff), "48 81 f9 ff 00 00 00");
        yield return Case(a => a.CompareImmediate(Gpr.R11, 0xff), "49 81 fb ff 00 00 00");
        yield return Case(a => a.MovsxdLoad(Gpr.Rax, Gpr.Rsi, 0), "48 63 86 00 00 00 00");
        yield return Case(a => a.MovsxdLoad(Gpr.R11, Gpr.R8, 0x60), "4d 63 98 60 00 00 00");
        yield return Case(a => { int l = a.NewLabel(); a.JumpIfEqual(l); a.Jump(l); a.Bind(l); }, "0f 84 05 00 00 00 e9 00 00 00 00"); // forward, rel32
    }

    private static object[] Case(Action<X64Assembler> emit, string bytes) => [emit, bytes];

    [Theory]
    [MemberData(nameof(Encodings))]
    public void AssemblerMatchesGnuAs(object emit, string expected)
    {
        var a = new X64Assembler();
        ((Action<X64Assembler>)emit)(a);
        Assert.Equal(expected, string.Join(' ', a.ToArray().Select(b => b.ToString("x2"))));
    }

    /// <summary>The generators load the argument block's fields at fixed offsets: they must be the struct's.</summary>
    [Fact]
    public void ArgumentOffsetsAreTheStructs()
    {
        foreach (var field in typeof(EmittedKernels.TileArgs).GetFields())
            Assert.Equal((int)System.Runtime.InteropServices.Marshal.OffsetOf<EmittedKernels.TileArgs>(field.Name),
                (int)typeof(EmittedKernels.Offsets).GetField(field.Name)!.GetValue(null)!);
        Assert.Equal(typeof(EmittedKernels.TileArgs).GetFields().Length, typeof(EmittedKernels.Offsets).GetFields().Length);
        AssertOffsets(typeof(EmittedBF16Code.Args), typeof(EmittedBF16Code.Offsets));
        AssertOffsets(typeof(EmittedCompactBF16Code.Args), typeof(EmittedCompactBF16Code.Offsets));
    }

    private static void AssertOffsets(Type args, Type offsets)
    {
        foreach (var field in args.GetFields())
            Assert.Equal((int)System.Runtime.InteropServices.Marshal.OffsetOf(args, field.Name), (int)offsets.GetField(field.Name)!.GetValue(null)!);
        Assert.Equal(args.GetFields().Length, offsets.GetFields().Length);
    }

    /// <summary>Every tile shape (1..2 groups × 1..4 tokens, partial groups, one block and many) through the emitted
    /// kernel and through the format's C# tile, in one backend: the same bits. Random weights, and the extremes (bytes
    /// all 0x00, all 0xFF, or all 0x80 / 0x81 / 0x7F for Q8_0, every activation ±127 with or against them) where an
    /// offset, correction or fifth-bit error would show. MXFP4 also with a subnormal block scale (F32 scales).</summary>
    [Theory]
    [InlineData(GgmlType.Q8_0, false)]
    [InlineData(GgmlType.Q4_0, false)]
    [InlineData(GgmlType.Q5_0, false)]
    [InlineData(GgmlType.IQ4_NL, false)]
    [InlineData(GgmlType.IQ4_XS, false)]
    [InlineData(GgmlType.MXFP4, false)]
    [InlineData(GgmlType.MXFP4, true)]
    [InlineData(GgmlType.Q4_K, false)]
    [InlineData(GgmlType.Q5_K, false)]
    [InlineData(GgmlType.Q6_K, false)]
    [InlineData(GgmlType.IQ4_XS, false, false)]
    [InlineData(GgmlType.MXFP4, false, false)]
    public void EmittedTileGivesTheCSharpTilesBits(GgmlType type, bool subnormalScale, bool vbmi = true)
    {
        var isa = SimdPaths.Isa(CpuIsa.DetectedBits, true);
        if (!isa.UseEmittedVnni) return; // needs AVX-512 VNNI on Linux x64 (Zen 4, Ice Lake server and later): EmittedKernels.Unavailable says why not
        vbmi &= EmittedKernels.Vbmi; // the vpermb lookups need AVX-512 VBMI; false runs the vpshufb form
        var r = new Random(2026 + (int)type);
        using var backend = new CpuBackend(2, isa);
        GgmlTypeInfo.TryGetBlock(type, out int blockColumns, out int blockBytes);
        int[] widths = blockColumns == 256 ? [256, 2048] : [32, 288, 2048];
        foreach (int k in widths)
            foreach (int n in new[] { 8, 13, 40 })
                foreach (bool extremes in new[] { false, true })
                {
                    var (w, storage) = TestData.MakeWeight(r, type, n, k);
                    int rowBytes = (int)w.RowBytes;
                    if (extremes)
                        for (int row = 0; row < n; row++)
                            for (int b = 0; b < k / blockColumns; b++)
                                for (int j = ScaleBytes(type); j < ExtremeEnd(type, blockBytes); j++)
                                    storage[row * rowBytes + b * blockBytes + j] = (row % 4, type) switch
                                    {
                                        (0, GgmlType.Q8_0) => 0x80, (1, GgmlType.Q8_0) => 0x81, (2, GgmlType.Q8_0) => 0x7F,
                                        (0, _) => 0x00, (1, _) => 0xFF, (2, _) => 0x88,
                                        _ => (byte)r.Next(256),
                                    };
                    if (subnormalScale) storage[5 * rowBytes + 17] = 1; // row 5, block 1's E8M0 exponent
                    var (emitted, csharp) = Pack(w, isa, vbmi);
                    try
                    {
                        foreach (int t in new[] { 1, 2, 3, 4, 5, 7, 9, 16 })
                        {
                            var x = extremes
                                ? Enumerable.Range(0, t * k).Select(i => (i / k % 3) switch { 0 => 1f, 1 => -1f, _ => r.Next(2) == 0 ? 1f : -1f }).ToArray()
                                : TestData.Floats(r, t * k, 3f);
                            PackedSignedLayoutTests.SameBits(backend, x, t, csharp, emitted, n, k, $"{type} k={k} n={n} extremes={extremes}");
                        }
                    }
                    finally
                    {
                        emitted.Dispose();
                        csharp.Dispose();
                    }
                    GC.KeepAlive(storage);
                }
    }

    /// <summary>Bytes before a block's values: its scale(s).</summary>
    /// <summary>Where a block's bytes that take the extremes end: Q6_K keeps its F16 d (the last two bytes) finite.</summary>
    private static int ExtremeEnd(GgmlType type, int blockBytes) => type == GgmlType.Q6_K ? blockBytes - 2 : blockBytes;

    private static int ScaleBytes(GgmlType type) => type switch
    {
        GgmlType.Q6_K => 0, // values, high crumbs and the signed block scales all take the extremes
        GgmlType.MXFP4 => 1, GgmlType.Q5_0 => 2, // Q5_0's fifth bits (bytes 2..5) take the extremes too
        GgmlType.IQ4_XS => 8, GgmlType.Q4_K or GgmlType.Q5_K => 4, // K-quants: the 12 scale bytes take the extremes too
        _ => 2,
    };

    /// <summary>The weight packed for the emitted kernel and for the C# one.</summary>
    private static (PackedWeight Emitted, PackedWeight CSharp) Pack(Weight w, CpuIsa isa, bool vbmi)
    {
        switch (w.Type)
        {
            case GgmlType.Q8_0:
            {
                var e = PackedQ8_0Weight.Pack(w, isa);
                var c = PackedQ8_0Weight.Pack(w);
                Assert.True(e.UsesEmittedKernel && !c.UsesEmittedKernel);
                return (e, c);
            }
            case GgmlType.Q4_0 or GgmlType.Q5_0:
            {
                var e = PackedLegacyWeight.Pack(w, isa);
                var c = PackedLegacyWeight.Pack(w);
                Assert.True(e.UsesEmittedKernel && !c.UsesEmittedKernel);
                return (e, c);
            }
            case GgmlType.Q6_K:
            {
                var e = PackedQ6_KWeight.Pack(w, isa);
                var c = PackedQ6_KWeight.Pack(w);
                Assert.True(e.UsesEmittedKernel && !c.UsesEmittedKernel);
                return (e, c);
            }
            case GgmlType.Q4_K or GgmlType.Q5_K:
            {
                var e = PackedKQuantWeight.Pack(w, isa);
                var c = PackedKQuantWeight.Pack(w);
                Assert.True(e.UsesEmittedKernel && !c.UsesEmittedKernel);
                return (e, c);
            }
            default:
            {
                var e = PackedTableWeight.Pack(w, signed: false, emitted: isa.UseEmittedVnni, vbmi);
                var c = PackedTableWeight.Pack(w);
                Assert.True(e.UsesEmittedKernel && !c.UsesEmittedKernel);
                return (e, c);
            }
        }
    }
}
