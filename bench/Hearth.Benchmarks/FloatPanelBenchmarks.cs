using BenchmarkDotNet.Attributes;
using Hearth.Core.Gguf;
using Hearth.Core.Quants;
using Hearth.Core.Tensors;
using Hearth.Cpu;

namespace Hearth.Benchmarks;

/// <summary>What widening F16/BF16 weight panels on the fly costs in the prompt kernel: the same 128-token matmul
/// (Llama-3.2-1B attention shape, 2048 → 2048, 2 threads) on F32 weights (the panel is a plain copy: what a
/// packed-at-load F32 layout would run at, for twice the memory) against F16 and BF16 (widened per column block).
/// Run: dotnet run -c Release --project bench/Hearth.Benchmarks -- --filter '*FloatPanel*'</summary>
public unsafe class FloatPanelBenchmarks
{
    private const int K = 2048, N = 2048, Tokens = 128;
    private CpuBackend _backend = null!;
    private Weight _weight = null!;
    private byte[] _storage = [];
    private Tensor _x = null!, _y = null!;

    [Params(GgmlType.F32, GgmlType.F16, GgmlType.BF16)]
    public GgmlType Type { get; set; }

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
        _backend = new CpuBackend(2);
        fixed (byte* p = _storage) _weight = _backend.AdoptWeight(new Weight("w", Type, N, K, p));
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
        _backend.Dispose();
        GC.KeepAlive(_storage);
    }
}
