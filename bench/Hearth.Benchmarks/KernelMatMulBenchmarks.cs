using BenchmarkDotNet.Attributes;
using Hearth.Core.Gguf;
using Hearth.Core.Quants;
using Hearth.Core.Tensors;
using Hearth.Cpu;

namespace Hearth.Benchmarks;

/// <summary>CPU matmul at Llama-3.2-1B FFN shape (2048 → 8192): decode (T=1), a 16-token batch and a 512-token prompt,
/// Q8_0, F16, BF16, Q4_K and Q6_K, 2 threads.
/// Run: dotnet run -c Release --project bench/Hearth.Benchmarks -- --filter '*KernelMatMul*'</summary>
[MemoryDiagnoser]
public unsafe class KernelMatMulBenchmarks
{
    private const int K = 2048, N = 8192;
    private CpuBackend _backend = null!;
    private Weight _weight = null!;
    private byte[] _storage = [];
    private Tensor _x = null!, _y = null!;

    [Params(GgmlType.Q8_0, GgmlType.F16, GgmlType.BF16, GgmlType.Q4_K, GgmlType.Q6_K)]
    public GgmlType Type { get; set; }

    [Params(1, 16, 512)]
    public int Tokens { get; set; }

    /// <summary>"packed": the default (packed layouts; vpdpbusd, or its AVX2 composition without AVX-VNNI); "rows": the
    /// plain row kernels (CpuIsa allowVnni: false) — the comparison behind the default on AVX2-only machines;
    /// "signed": Q8_0 packed as signed w against activations with |x| (<see cref="Hearth.Cpu.Packed.PackedDots.Signed"/>),
    /// the alternative to its default w + 128 layout without AVX-VNNI (other types run their default).</summary>
    [Params("packed", "rows", "signed")]
    public string Path { get; set; } = "packed";

    [GlobalSetup]
    public void Setup()
    {
        var r = new Random(1);
        long rowBytes = GgmlTypeInfo.RowBytes(Type, K);
        _storage = GC.AllocateArray<byte>((int)(rowBytes * N), pinned: true);
        var row = new float[K];
        for (int n = 0; n < N; n++)
        {
            for (int i = 0; i < K; i++) row[i] = (float)(r.NextDouble() * 2 - 1);
            Quantizer.Quantize(Type, row, _storage.AsSpan((int)(n * rowBytes), (int)rowBytes));
        }
        _backend = Path == "rows" ? new CpuBackend(2, new CpuIsa(512, allowVnni: false)) : new CpuBackend(2);
        // The backend's own form of the weight, as a loaded model uses it (Q8_0 re-laid out for the VNNI kernel).
        fixed (byte* p = _storage)
        {
            var plain = new Weight("w", Type, N, K, p);
            _weight = Path == "signed" && Type == GgmlType.Q8_0 ? Hearth.Cpu.Packed.PackedQ8_0Weight.Pack(plain, preferSigned: true) : _backend.AdoptWeight(plain);
        }
        _x = _backend.Allocate(Tokens, K);
        _y = _backend.Allocate(Tokens, N);
        var x = new float[Tokens * K];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(r.NextDouble() * 2 - 1);
        _backend.Upload(x, _x, 0);
    }

    [Benchmark]
    public void MatMul() => _backend.MatMul(_x, _weight, _y, Tokens);

    [GlobalCleanup]
    public void Cleanup()
    {
        _x.Dispose();
        _y.Dispose();
        if (Path == "signed" && _weight is IDisposable own) own.Dispose(); // packed here, not adopted by the backend
        _backend.Dispose();
        GC.KeepAlive(_storage);
    }
}
