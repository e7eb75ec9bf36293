using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using Hearth.Cpu;
using Hearth.Cpu.Kernels;

namespace Hearth.Benchmarks;

/// <summary>Our width-ladder vector ops against System.Numerics.Tensors' TensorPrimitives doing the same work, at the
/// lengths the 1B model uses (a 2048-wide hidden row, an 8192-wide FFN row, a 32k-entry softmax over logits). The
/// question each pair answers: is TensorPrimitives as fast, so the plain op could be the library's (issue 24)?
/// Fused ops (SwiGLU, exp-and-sum) have no single TensorPrimitives call; their TensorPrimitives side is the shortest
/// sequence of calls that computes the same result.
/// Run: dotnet run -c Release --project bench/Hearth.Benchmarks -- --filter '*TensorPrimitives*'</summary>
[MemoryDiagnoser(false)]
public unsafe class TensorPrimitivesBenchmarks
{
    private float[] _a = [], _b = [], _y = [];
    private readonly CpuIsa _isa = CpuIsa.Detected;

    [Params(2048, 8192, 32768)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var r = new Random(1);
        float[] Make() { var a = GC.AllocateArray<float>(N, pinned: true); for (int i = 0; i < N; i++) a[i] = (float)(r.NextDouble() * 2 - 1); return a; }
        (_a, _b, _y) = (Make(), Make(), Make());
    }

    private float* A => (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref _a[0]);
    private float* B => (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref _b[0]);
    private float* Y => (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref _y[0]);

    [Benchmark] public void AddLadder() => SimdLadder.Map<AddOperator>(_isa, A, B, 0f, Y, N);
    [Benchmark] public void AddTp() => TensorPrimitives.Add(_a, _b, _y);

    [Benchmark] public void ScaleLadder() => SimdLadder.Map<ScaleOperator>(_isa, A, A, 1.0001f, Y, N);
    [Benchmark] public void ScaleTp() => TensorPrimitives.Multiply(_a, 1.0001f, _y);

    [Benchmark] public void AxpyLadder() => SimdLadder.Map<AxpyOperator>(_isa, A, B, 0.5f, Y, N);
    [Benchmark] public void AxpyTp() => TensorPrimitives.MultiplyAdd(_a, 0.5f, _b, _y);

    [Benchmark] public float DotLadder() => SimdLadder.Aggregate<DotOperator>(_isa, A, B, N);
    [Benchmark] public float DotTp() => TensorPrimitives.Dot(_a, _b);

    [Benchmark] public float MaxLadder() => SimdLadder.Aggregate<MaxOperator>(_isa, A, A, N);
    [Benchmark] public float MaxTp() => TensorPrimitives.Max(_a);

    [Benchmark] public void SwiGluLadder() => SimdLadder.Map<SwiGluOperator>(_isa, A, B, 0f, Y, N);
    [Benchmark]
    public void SwiGluTp()
    {
        // silu(a)·b = a·sigmoid(a)·b: three passes.
        TensorPrimitives.Sigmoid(_a, _y);
        TensorPrimitives.Multiply(_y, _a, _y);
        TensorPrimitives.Multiply(_y, _b, _y);
    }

    [Benchmark]
    public void SoftmaxLadder()
    {
        _a.CopyTo(_y, 0);
        SoftmaxKernel.Run(_isa, Y, N);
    }

    /// <summary>Logit softcapping (Gemma 2: cap · tanh(x / cap) over the whole vocabulary row).</summary>
    [Benchmark] public void SoftcapScalar() => ElementwiseKernels.Softcap(Y, 30f, N);

    [Benchmark]
    public void SoftcapTp()
    {
        TensorPrimitives.Multiply(_y, 1f / 30f, _y);
        TensorPrimitives.Tanh(_y, _y);
        TensorPrimitives.Multiply(_y, 30f, _y);
    }

    /// <summary>TensorPrimitives.SoftMax does not subtract the max first (exp overflows past logits of ~88), so the
    /// comparable sequence is max, subtract, exp, sum, scale.</summary>
    [Benchmark]
    public void SoftmaxTp()
    {
        float max = TensorPrimitives.Max(_a);
        TensorPrimitives.Subtract(_a, max, _y);
        TensorPrimitives.Exp(_y, _y);
        TensorPrimitives.Multiply(_y, 1f / TensorPrimitives.Sum(_y), _y);
    }
}
