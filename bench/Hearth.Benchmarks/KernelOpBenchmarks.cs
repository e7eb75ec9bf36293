using BenchmarkDotNet.Attributes;
using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Cpu;

namespace Hearth.Benchmarks;

/// <summary>The width-ladder kernels through the CPU backend at Llama-3.2-1B shapes (d 2048, FFN 8192, 32 heads of 64,
/// 8 KV heads): RMS norm, add, SwiGLU over a 16-token batch, and paged attention (dot, softmax, axpy) for 16 decode
/// tokens at 512 positions each. One thread, so the figure is the kernels' and not the pool's.
/// Run: dotnet run -c Release --project bench/Hearth.Benchmarks -- --filter '*KernelOp*'</summary>
public unsafe class KernelOpBenchmarks
{
    private const int D = 2048, Ffn = 8192, Tokens = 16, Heads = 32, KvHeads = 8, HeadDim = 64, Context = 512, BlockSize = 16;
    private CpuBackend _backend = null!;
    private Tensor _x = null!, _b = null!, _y = null!, _gate = null!, _up = null!, _ffn = null!;
    private Tensor _q = null!, _kCache = null!, _vCache = null!, _att = null!;
    private Weight _norm = null!;
    private float[] _normData = [];
    private AttentionParameters _attention = null!;

    [GlobalSetup]
    public void Setup()
    {
        var r = new Random(1);
        float[] Random(int n) { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1); return a; }
        _backend = new CpuBackend(1);
        Tensor Make(int rows, int cols) { var t = _backend.Allocate(rows, cols); _backend.Upload(Random(rows * cols), t, 0); return t; }
        _x = Make(Tokens, D); _b = Make(Tokens, D); _y = Make(Tokens, D);
        _gate = Make(Tokens, Ffn); _up = Make(Tokens, Ffn); _ffn = Make(Tokens, Ffn);
        _normData = GC.AllocateArray<float>(D, pinned: true);
        Random(D).CopyTo(_normData, 0);
        fixed (float* p = _normData) _norm = new Weight("norm", GgmlType.F32, 1, D, (byte*)p);
        int blocksPerSeq = Context / BlockSize;
        _kCache = Make(Tokens * Context, KvHeads * HeadDim);
        _vCache = Make(Tokens * Context, KvHeads * HeadDim);
        _q = Make(Tokens, Heads * HeadDim);
        _att = Make(Tokens, Heads * HeadDim);
        _attention = new AttentionParameters(Heads, KvHeads, HeadDim, 1f / MathF.Sqrt(HeadDim), BlockSize)
        {
            Batch = new AttentionBatch(Enumerable.Repeat(Context - 1, Tokens).ToArray(), Enumerable.Range(0, Tokens).ToArray(),
                Enumerable.Range(0, Tokens).Select(s => Enumerable.Range(s * blocksPerSeq, blocksPerSeq).ToArray()).ToArray()),
        };
    }

    [Benchmark] public void RmsNorm() => _backend.RmsNorm(_x, _norm, 1e-5f, _y, Tokens);
    [Benchmark] public void Add() => _backend.Add(_x, _b, _y, Tokens);
    [Benchmark] public void SwiGlu() => _backend.SwiGlu(_gate, _up, _ffn, Tokens);
    [Benchmark] public void PagedAttention() => _backend.PagedAttention(_q, _kCache, _vCache, _att, _attention, Tokens);

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var t in new[] { _x, _b, _y, _gate, _up, _ffn, _q, _kCache, _vCache, _att }) t.Dispose();
        _backend.Dispose();
        GC.KeepAlive(_normData);
    }
}
