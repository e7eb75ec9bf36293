namespace Hearth.Cpu.Emitted;

/// <summary>The x86-64 general-purpose registers by encoding number.</summary>
internal enum Gpr { Rax, Rcx, Rdx, Rbx, Rsp, Rbp, Rsi, Rdi, R8, R9, R10, R11, R12, R13, R14, R15 }

/// <summary>A minimal x86-64 assembler for the emitted kernels (<see cref="EmittedKernels"/>): exactly the instructions
/// they use, 256-bit vector operations in their EVEX form on ymm0–ymm31 (a few in 512-bit form on zmm, named so) and a
/// few 64-bit integer ones. Memory operands
/// are always [base + disp32] (no index, no compressed displacement), which keeps every encoding one rule.</summary>
/// <remarks>Why this exists: .NET 10 has no intrinsic for AVX-512 VNNI (vpdpbusd in EVEX form, what Zen 4 and Ice Lake
/// and later server parts have; <c>AvxVnni</c> is the VEX form only newer client parts carry), and int8 dot products
/// are the compute of every quantised prompt and batched decode step. Encodings are checked byte for byte against
/// GNU as in the tests.</remarks>
internal sealed class X64Assembler
{
    private readonly List<byte> _code = [];

    /// <summary>The code so far, its branches to labels resolved.</summary>
    public byte[] ToArray()
    {
        var code = _code.ToArray();
        foreach (var (at, label) in _fixups)
        {
            int target = _labels[label];
            if (target < 0) throw new InvalidOperationException($"label {label} was never placed");
            BitConverter.TryWriteBytes(code.AsSpan(at, 4), target - (at + 4)); // relative to the end of the rel32
        }
        return code;
    }

    /// <summary>Offset of the next instruction (a branch target).</summary>
    public int Position => _code.Count;

    // Opcode maps and mandatory prefixes as EVEX encodes them.
    private const int Map0F = 1, Map0F38 = 2, Map0F3A = 3;
    private const int NoPrefix = 0, P66 = 1, PF3 = 2;
    // EVEX's vector length L'L: 256 bits (ymm, the default) or 512 (zmm).
    private const int Ymm = 1, Zmm = 2;

    /// <summary>vpdpbusd ymm<paramref name="dst"/>, ymm<paramref name="unsigned"/>, dword [base + disp]{1to8}: per
    /// int32 lane, dst + the 4 products of <paramref name="unsigned"/>'s u8 with the broadcast s8.</summary>
    public void VpdpbusdBroadcast(int dst, int unsigned, Gpr b, int disp) => Evex(Map0F38, P66, 0x50, dst, unsigned, Mem(b, disp), broadcast: true);

    /// <summary>vpdpbusd ymm<paramref name="dst"/>, ymm<paramref name="unsigned"/>, ymm<paramref name="signed"/>.</summary>
    public void VpdpbusdReg(int dst, int unsigned, int signed) => Evex(Map0F38, P66, 0x50, dst, unsigned, Reg(signed));

    /// <summary>vdpbf16ps zmm<paramref name="dst"/>, zmm<paramref name="a"/>, zmm<paramref name="b"/> (AVX512_BF16): per
    /// F32 lane, dst + the two products of the lane's BF16 pair in <paramref name="a"/> and in <paramref name="b"/>.</summary>
    public void Vdpbf16ps512(int dst, int a, int b) => Evex(Map0F38, PF3, 0x52, dst, a, Reg(b), length: Zmm);

    /// <summary>vmovups zmm<paramref name="dst"/>, [base + disp].</summary>
    public void VmovupsLoad512(int dst, Gpr b, int disp) => Evex(Map0F, NoPrefix, 0x10, dst, 0, Mem(b, disp), length: Zmm);

    /// <summary>vmovups [base + disp], zmm<paramref name="src"/>.</summary>
    public void VmovupsStore512(Gpr b, int disp, int src) => Evex(Map0F, NoPrefix, 0x11, src, 0, Mem(b, disp), length: Zmm);

    /// <summary>vpxord zmm<paramref name="dst"/>, zmm<paramref name="dst"/>, zmm<paramref name="dst"/>: zero.</summary>
    public void Zero512(int dst) => Evex(Map0F, P66, 0xEF, dst, dst, Reg(dst), length: Zmm);

    /// <summary>vpbroadcastd ymm<paramref name="dst"/>, dword [base + disp].</summary>
    public void VpbroadcastdLoad(int dst, Gpr b, int disp) => Evex(Map0F38, P66, 0x58, dst, 0, Mem(b, disp));

    /// <summary>vmovdqu32 ymm<paramref name="dst"/>, [base + disp].</summary>
    public void VmovdquLoad(int dst, Gpr b, int disp) => Evex(Map0F, PF3, 0x6F, dst, 0, Mem(b, disp));

    /// <summary>vmovups [base + disp], ymm<paramref name="src"/>.</summary>
    public void VmovupsStore(Gpr b, int disp, int src) => Evex(Map0F, NoPrefix, 0x11, src, 0, Mem(b, disp));

    /// <summary>vcvtph2ps ymm<paramref name="dst"/>, xmmword [base + disp]: 8 halves to floats (exact).</summary>
    public void Vcvtph2psLoad(int dst, Gpr b, int disp) => Evex(Map0F38, P66, 0x13, dst, 0, Mem(b, disp));

    /// <summary>vcvtdq2ps ymm<paramref name="dst"/>, ymm<paramref name="src"/>.</summary>
    public void Vcvtdq2ps(int dst, int src) => Evex(Map0F, NoPrefix, 0x5B, dst, 0, Reg(src));

    /// <summary>vmulps ymm<paramref name="dst"/>, ymm<paramref name="a"/>, ymm<paramref name="b"/>.</summary>
    public void Vmulps(int dst, int a, int b) => Evex(Map0F, NoPrefix, 0x59, dst, a, Reg(b));

    /// <summary>vmulps ymm<paramref name="dst"/>, ymm<paramref name="a"/>, dword [base + disp]{1to8}.</summary>
    public void VmulpsBroadcast(int dst, int a, Gpr b, int disp) => Evex(Map0F, NoPrefix, 0x59, dst, a, Mem(b, disp), broadcast: true);

    /// <summary>vfmadd231ps ymm<paramref name="dst"/>, ymm<paramref name="a"/>, ymm<paramref name="b"/>: dst = a·b + dst,
    /// one rounding.</summary>
    public void Vfmadd231ps(int dst, int a, int b) => Evex(Map0F38, P66, 0xB8, dst, a, Reg(b));

    /// <summary>vmovups ymm<paramref name="dst"/>, [base + disp].</summary>
    public void VmovupsLoad(int dst, Gpr b, int disp) => Evex(Map0F, NoPrefix, 0x10, dst, 0, Mem(b, disp));

    /// <summary>vpmovzxbd ymm<paramref name="dst"/>, qword [base + disp]: 8 bytes zero-extended to int32.</summary>
    public void VpmovzxbdLoad(int dst, Gpr b, int disp) => Evex(Map0F38, P66, 0x31, dst, 0, Mem(b, disp));

    /// <summary>vpmovsxbd ymm<paramref name="dst"/>, qword [base + disp]: 8 bytes sign-extended to int32.</summary>
    public void VpmovsxbdLoad(int dst, Gpr b, int disp) => Evex(Map0F38, P66, 0x21, dst, 0, Mem(b, disp));

    /// <summary>vpandd ymm<paramref name="dst"/>, ymm<paramref name="a"/>, ymm<paramref name="b"/>.</summary>
    public void Vpandd(int dst, int a, int b) => Evex(Map0F, P66, 0xDB, dst, a, Reg(b));

    /// <summary>vpord ymm<paramref name="dst"/>, ymm<paramref name="a"/>, ymm<paramref name="b"/>.</summary>
    public void Vpord(int dst, int a, int b) => Evex(Map0F, P66, 0xEB, dst, a, Reg(b));

    /// <summary>vpshufb ymm<paramref name="dst"/>, ymm<paramref name="table"/>, ymm<paramref name="indexes"/>: a 16-entry
    /// byte lookup per 128-bit lane.</summary>
    public void Vpshufb(int dst, int table, int indexes) => Evex(Map0F38, P66, 0x00, dst, table, Reg(indexes));

    /// <summary>vpermb ymm<paramref name="dst"/>, ymm<paramref name="indexes"/>, ymm<paramref name="table"/>: a 32-entry
    /// byte lookup across the register by each index byte's low 5 bits (AVX-512 VBMI).</summary>
    public void Vpermb(int dst, int indexes, int table) => Evex(Map0F38, P66, 0x8D, dst, indexes, Reg(table));

    /// <summary>vpsrlw ymm<paramref name="dst"/>, ymm<paramref name="src"/>, imm8 (16-bit lanes).</summary>
    public void VpsrlwImmediate(int dst, int src, byte count) => ShiftImmediate(0x71, 2, dst, src, count);

    /// <summary>vpsllw ymm<paramref name="dst"/>, ymm<paramref name="src"/>, imm8 (16-bit lanes).</summary>
    public void VpsllwImmediate(int dst, int src, byte count) => ShiftImmediate(0x71, 6, dst, src, count);

    /// <summary>vpslld ymm<paramref name="dst"/>, ymm<paramref name="src"/>, imm8 (32-bit lanes).</summary>
    public void VpslldImmediate(int dst, int src, byte count) => ShiftImmediate(0x72, 6, dst, src, count);

    // The immediate shifts put an opcode extension in ModRM.reg and their destination in vvvv.
    private void ShiftImmediate(int opcode, int extension, int dst, int src, byte count, int length = Ymm)
    {
        Evex(Map0F, P66, opcode, extension, dst, Reg(src), length: length);
        Emit(count);
    }

    /// <summary>vpsllw zmm<paramref name="dst"/>, zmm<paramref name="src"/>, imm8 (16-bit lanes).</summary>
    public void VpsllwImmediate512(int dst, int src, byte count) => ShiftImmediate(0x71, 6, dst, src, count, Zmm);

    /// <summary>vpmovzxbw zmm<paramref name="dst"/>, ymmword [base + disp]: 32 bytes zero-extended to 16-bit lanes.</summary>
    public void VpmovzxbwLoad512(int dst, Gpr b, int disp) => Evex(Map0F38, P66, 0x30, dst, 0, Mem(b, disp), length: Zmm);

    /// <summary>vpternlogd zmm<paramref name="dst"/>, zmm<paramref name="b"/>, zmm<paramref name="c"/>, imm8: each bit the
    /// table <paramref name="table"/> at index 4·dst + 2·b + c.</summary>
    public void Vpternlogd512(int dst, int b, int c, byte table)
    {
        Evex(Map0F3A, P66, 0x25, dst, b, Reg(c), length: Zmm);
        Emit(table);
    }

    /// <summary>vbroadcasti32x4 zmm<paramref name="dst"/>, xmmword [base + disp]: 16 bytes into all four 128-bit lanes.</summary>
    public void Vbroadcasti32x4Load512(int dst, Gpr b, int disp) => Evex(Map0F38, P66, 0x5A, dst, 0, Mem(b, disp), length: Zmm);

    /// <summary>vpermb zmm<paramref name="dst"/>, zmm<paramref name="indexes"/>, zmm<paramref name="table"/>: a 64-entry
    /// byte lookup across the register by each index byte's low 6 bits (AVX-512 VBMI).</summary>
    public void Vpermb512(int dst, int indexes, int table) => Evex(Map0F38, P66, 0x8D, dst, indexes, Reg(table), length: Zmm);

    /// <summary>vpunpcklbw zmm<paramref name="dst"/>, zmm<paramref name="low"/>, zmm<paramref name="high"/>: per 128-bit lane,
    /// bytes 0..7 of each interleaved into words (low byte from <paramref name="low"/>).</summary>
    public void Vpunpcklbw512(int dst, int low, int high) => Evex(Map0F, P66, 0x60, dst, low, Reg(high), length: Zmm);

    /// <summary>vpunpckhbw zmm<paramref name="dst"/>, zmm<paramref name="low"/>, zmm<paramref name="high"/>: bytes 8..15 of
    /// each lane, as <see cref="Vpunpcklbw512"/>.</summary>
    public void Vpunpckhbw512(int dst, int low, int high) => Evex(Map0F, P66, 0x68, dst, low, Reg(high), length: Zmm);

    /// <summary>movzx r32, byte [base + disp] (the upper half of the 64-bit register cleared).</summary>
    public void MovzxByteLoad(Gpr dst, Gpr b, int disp)
    {
        if ((int)dst >= 8 || (int)b >= 8) Rex(w: false, r: (int)dst >= 8, b: (int)b >= 8);
        Emit(0x0F);
        Emit(0xB6);
        ModRmMemory((int)dst, b, disp);
    }

    /// <summary>movsxd r64, dword [base + disp].</summary>
    public void MovsxdLoad(Gpr dst, Gpr b, int disp)
    {
        Rex(w: true, r: (int)dst >= 8, b: (int)b >= 8);
        Emit(0x63);
        ModRmMemory((int)dst, b, disp);
    }

    /// <summary>shl r64, imm8.</summary>
    public void ShiftLeftImmediate(Gpr dst, byte count)
    {
        Rex(w: true, r: false, b: (int)dst >= 8);
        Emit(0xC1);
        Emit(0xE0 | ((int)dst & 7)); // ModRM: register direct, /4
        Emit(count);
    }

    /// <summary>add r64, r64.</summary>
    public void Add(Gpr dst, Gpr src) => RegisterToRegister(0x01, dst, src);

    /// <summary>sub r64, r64.</summary>
    public void Sub(Gpr dst, Gpr src) => RegisterToRegister(0x29, dst, src);

    /// <summary>mov r64, r64.</summary>
    public void Mov(Gpr dst, Gpr src) => RegisterToRegister(0x89, dst, src);

    // The "op r/m64, r64" form with a register destination: REX.W, the opcode, ModRM register direct (reg = src).
    private void RegisterToRegister(int opcode, Gpr dst, Gpr src)
    {
        Rex(w: true, r: (int)src >= 8, b: (int)dst >= 8);
        Emit(opcode);
        Emit(0xC0 | ((int)src & 7) << 3 | ((int)dst & 7));
    }

    /// <summary>push r64.</summary>
    public void Push(Gpr r) => RegisterInOpcode(0x50, r);

    /// <summary>pop r64.</summary>
    public void Pop(Gpr r) => RegisterInOpcode(0x58, r);

    // The one-byte forms that carry the register in the opcode's low 3 bits (REX.B for r8–r15).
    private void RegisterInOpcode(int opcode, Gpr r)
    {
        if ((int)r >= 8) Rex(w: false, r: false, b: true);
        Emit(opcode | ((int)r & 7));
    }

    /// <summary>cmp r64, imm32 (sign-extended), the 81 /7 form.</summary>
    public void CompareImmediate(Gpr dst, int value)
    {
        Rex(w: true, r: false, b: (int)dst >= 8);
        Emit(0x81);
        Emit(0xF8 | ((int)dst & 7)); // ModRM: register direct, /7
        Emit32(value);
    }

    /// <summary>A new label for forward branches (<see cref="JumpIfEqual"/>, <see cref="Jump"/>), placed by <see cref="Bind"/>.</summary>
    public int NewLabel()
    {
        _labels.Add(-1);
        return _labels.Count - 1;
    }

    /// <summary>Places <paramref name="label"/> at the next instruction.</summary>
    public void Bind(int label) => _labels[label] = Position;

    /// <summary>je to <paramref name="label"/> (rel32).</summary>
    public void JumpIfEqual(int label)
    {
        Emit(0x0F);
        Emit(0x84);
        Fixup(label);
    }

    /// <summary>jmp to <paramref name="label"/> (rel32).</summary>
    public void Jump(int label)
    {
        Emit(0xE9);
        Fixup(label);
    }

    private readonly List<int> _labels = [];
    private readonly List<(int At, int Label)> _fixups = [];

    // A rel32 to a label, written when the code is taken (the label may come later).
    private void Fixup(int label)
    {
        _fixups.Add((Position, label));
        Emit32(0);
    }

    /// <summary>vpmulld ymm<paramref name="dst"/>, ymm<paramref name="a"/>, ymm<paramref name="b"/>: low 32 bits of each
    /// lane's product.</summary>
    public void Vpmulld(int dst, int a, int b) => Evex(Map0F38, P66, 0x40, dst, a, Reg(b));

    /// <summary>vpaddd ymm<paramref name="dst"/>, ymm<paramref name="a"/>, ymm<paramref name="b"/>.</summary>
    public void Vpaddd(int dst, int a, int b) => Evex(Map0F, P66, 0xFE, dst, a, Reg(b));

    /// <summary>vfmadd231ps ymm<paramref name="dst"/>, ymm<paramref name="a"/>, dword [base + disp]{1to8}.</summary>
    public void Vfmadd231psBroadcast(int dst, int a, Gpr b, int disp) => Evex(Map0F38, P66, 0xB8, dst, a, Mem(b, disp), broadcast: true);

    /// <summary>vmovdqu32 [base + disp], ymm<paramref name="src"/>.</summary>
    public void VmovdquStore(Gpr b, int disp, int src) => Evex(Map0F, PF3, 0x7F, src, 0, Mem(b, disp));

    /// <summary>vpxord ymm<paramref name="dst"/>, ymm<paramref name="dst"/>, ymm<paramref name="dst"/>: zero.</summary>
    public void Zero(int dst) => Evex(Map0F, P66, 0xEF, dst, dst, Reg(dst));

    /// <summary>mov r64, qword [base + disp].</summary>
    public void MovLoad(Gpr dst, Gpr b, int disp)
    {
        Rex(w: true, r: (int)dst >= 8, b: (int)b >= 8);
        Emit(0x8B);
        ModRmMemory((int)dst, b, disp);
    }

    /// <summary>mov r64, imm32 (sign-extended).</summary>
    public void MovImmediate(Gpr dst, int value)
    {
        Rex(w: true, r: false, b: (int)dst >= 8);
        Emit(0xC7);
        Emit(0xC0 | ((int)dst & 7)); // ModRM: register direct, /0
        Emit32(value);
    }

    /// <summary>add r64, imm32 (sign-extended).</summary>
    public void AddImmediate(Gpr dst, int value)
    {
        Rex(w: true, r: false, b: (int)dst >= 8);
        Emit(0x81);
        Emit(0xC0 | ((int)dst & 7)); // ModRM: register direct, /0
        Emit32(value);
    }

    /// <summary>prefetcht0 byte [base + disp]: the line into every cache level ahead of its use.</summary>
    public void Prefetcht0(Gpr b, int disp) => Prefetch(1, b, disp);

    /// <summary>prefetcht1 byte [base + disp]: the line into L2 (and below) ahead of its use.</summary>
    public void Prefetcht1(Gpr b, int disp) => Prefetch(2, b, disp);

    // 0F 18 with the hint in ModRM.reg (/1 T0, /2 T1).
    private void Prefetch(int hint, Gpr b, int disp)
    {
        if ((int)b >= 8) Rex(w: false, r: false, b: true);
        Emit(0x0F);
        Emit(0x18);
        ModRmMemory(hint, b, disp);
    }

    /// <summary>dec r64.</summary>
    public void Dec(Gpr dst)
    {
        Rex(w: true, r: false, b: (int)dst >= 8);
        Emit(0xFF);
        Emit(0xC8 | ((int)dst & 7)); // ModRM: register direct, /1
    }

    /// <summary>jnz to the instruction at <paramref name="target"/> (an earlier <see cref="Position"/>).</summary>
    public void JumpIfNotZero(int target)
    {
        Emit(0x0F);
        Emit(0x85);
        Emit32(target - (Position + 4)); // relative to the end of this 6-byte instruction
    }

    /// <summary>vzeroupper: leaves the upper halves clean for the caller's SSE code.</summary>
    public void Vzeroupper()
    {
        Emit(0xC5); Emit(0xF8); Emit(0x77);
    }

    public void Ret() => Emit(0xC3);

    private readonly record struct Operand(bool IsMemory, int Register, Gpr Base, int Displacement);

    private static Operand Reg(int ymm) => new(false, Checked(ymm), default, 0);

    private static Operand Mem(Gpr b, int disp) => new(true, 0, b, disp);

    private static int Checked(int ymm) => ymm is >= 0 and < 32 ? ymm : throw new ArgumentOutOfRangeException(nameof(ymm), $"ymm{ymm}");

    /// <summary>One EVEX-encoded instruction, 256-bit unless <paramref name="length"/> says 512: reg is ModRM.reg, vvvv the
    /// second source (0 where unused, which encodes as the required 1111b), rm a register or [base + disp32].</summary>
    private void Evex(int map, int pp, int opcode, int reg, int vvvv, Operand rm, bool broadcast = false, int length = Ymm)
    {
        Checked(reg);
        Checked(vvvv);
        // rm's high bits: a register's bits 3 and 4 go in B and X; a memory base's bit 3 in B (no index: X clear).
        int rmLow3 = rm.IsMemory ? (int)rm.Base >> 3 & 1 : rm.Register >> 3 & 1;
        int rmBit4 = rm.IsMemory ? 0 : rm.Register >> 4 & 1;
        Emit(0x62);
        // P0: R X B R' (all stored inverted), 0 0, map.
        Emit((~(reg >> 3) & 1) << 7 | (~rmBit4 & 1) << 6 | (~rmLow3 & 1) << 5 | (~(reg >> 4) & 1) << 4 | map);
        // P1: W (0 for these), vvvv inverted, a fixed 1, pp.
        Emit((~vvvv & 15) << 3 | 1 << 2 | pp);
        // P2: z = 0, L'L, b (broadcast), V' inverted, aaa = 0 (no mask).
        Emit(length << 5 | (broadcast ? 1 : 0) << 4 | (~(vvvv >> 4) & 1) << 3);
        Emit(opcode);
        if (rm.IsMemory) ModRmMemory(reg, rm.Base, rm.Displacement);
        else Emit(0xC0 | (reg & 7) << 3 | (rm.Register & 7));
    }

    /// <summary>ModRM (and SIB where the base needs one) for [base + disp32].</summary>
    private void ModRmMemory(int reg, Gpr b, int disp)
    {
        Emit(0x80 | (reg & 7) << 3 | ((int)b & 7)); // mod = 10: a 32-bit displacement
        if (((int)b & 7) == 4) Emit(0x24); // rsp / r12 as base: SIB with no index
        Emit32(disp);
    }

    private void Rex(bool w, bool r, bool b) => Emit(0x40 | (w ? 8 : 0) | (r ? 4 : 0) | (b ? 1 : 0));

    private void Emit(int value) => _code.Add((byte)value);

    private void Emit32(int value)
    {
        for (int i = 0; i < 4; i++) Emit(value >> (8 * i));
    }
}
