using Hearth.Core.Gguf;
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
        yield return Case(a => a.MovLoad(Gpr.Rsi, Gpr.Rdi, 0x40), "48 8b b7 40 00 00 00");
        yield return Case(a => a.MovLoad(Gpr.R11, Gpr.Rdi, 0x30), "4c 8b 9f 30 00 00 00");
        yield return Case(a => a.AddImmediate(Gpr.Rsi, 0x100), "48 81 c6 00 01 00 00");
        yield return Case(a => a.AddImmediate(Gpr.R10, 0x1000), "49 81 c2 00 10 00 00");
        yield return Case(a => a.Dec(Gpr.Rax), "48 ff c8");
        yield return Case(a => a.Dec(Gpr.R9), "49 ff c9");
        yield return Case(a => { a.Dec(Gpr.Rax); a.JumpIfNotZero(0); }, "48 ff c8 0f 85 f7 ff ff ff"); // back to the dec
        yield return Case(a => { a.Vzeroupper(); a.Ret(); }, "c5 f8 77 c3");
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

    /// <summary>Every tile shape (1..2 groups × 1..4 tokens, partial groups, one block and many) through the emitted
    /// kernel and through <see cref="PackedGemm"/>'s, in one backend: the same bits. Random weights, and the extremes
    /// (every value −128, −127 or +127, every activation ±127 with or against it) where an offset or correction error
    /// would show.</summary>
    [Fact]
    public void EmittedQ8_0TileGivesTheTileKernelsBits()
    {
        var isa = SimdPaths.Isa(512, true);
        if (!isa.UseEmittedVnni) return; // needs AVX-512 VNNI on Linux x64 (Zen 4, Ice Lake server and later)
        var r = new Random(2026);
        using var backend = new CpuBackend(2, isa);
        foreach (int k in new[] { 32, 288, 2048 })
            foreach (int n in new[] { 8, 13, 40 })
                foreach (bool extremes in new[] { false, true })
                {
                    var (w, storage) = TestData.MakeWeight(r, GgmlType.Q8_0, n, k);
                    if (extremes)
                        for (int row = 0; row < n; row++)
                            for (int b = 0; b < k / 32; b++)
                                for (int j = 0; j < 32; j++)
                                    storage[row * (k / 32 * 34) + b * 34 + 2 + j] = (row % 4) switch { 0 => 0x80, 1 => 0x81, 2 => 0x7F, _ => (byte)r.Next(256) };
                    using var emitted = PackedQ8_0Weight.Pack(w, isa);
                    using var csharp = PackedQ8_0Weight.Pack(w, SimdPaths.Isa(256, true));
                    Assert.True(emitted.UsesEmittedKernel);
                    Assert.False(csharp.UsesEmittedKernel);
                    foreach (int t in new[] { 1, 2, 3, 4, 5, 7, 9, 16 })
                    {
                        var x = extremes
                            ? Enumerable.Range(0, t * k).Select(i => (i / k % 3) switch { 0 => 1f, 1 => -1f, _ => r.Next(2) == 0 ? 1f : -1f }).ToArray()
                            : TestData.Floats(r, t * k, 3f);
                        using var xt = TestData.Tensor(x, t, k);
                        using var ya = new CpuTensor(t, n);
                        using var yb = new CpuTensor(t, n);
                        backend.MatMul(xt, csharp, ya, t);
                        backend.MatMul(xt, emitted, yb, t);
                        var expected = TestData.Read(ya, t);
                        var got = TestData.Read(yb, t);
                        for (int i = 0; i < expected.Length; i++)
                            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(got[i]),
                                $"k={k} n={n} t={t} extremes={extremes} [{i / n}, {i % n}]: {got[i]} vs {expected[i]}");
                    }
                    GC.KeepAlive(storage);
                }
    }
}
