using Hearth.Core.Tensors;

namespace Hearth.Cpu.Kernels;

/// <summary>Causal attention over a paged F32 KV cache. One chunk = one (token, head): scores q·k·scale for the
/// token's positions 0..p read through its sequence's block table, softmax, then Σ p_i · v_i. Heads map to KV
/// heads in groups (GQA).</summary>
internal sealed unsafe class PagedAttentionKernel : IParallelJob, IDisposable
{
    private readonly CpuThreadPool _pool;
    private readonly NativeBuffer[] _scores;
    private CpuTensor _q = null!, _k = null!, _v = null!, _o = null!;
    private AttentionParameters _a = null!;

    public PagedAttentionKernel(CpuThreadPool pool)
    {
        _pool = pool;
        _scores = new NativeBuffer[pool.ThreadCount];
        for (int i = 0; i < _scores.Length; i++) _scores[i] = new NativeBuffer();
    }

    public void Run(CpuTensor q, CpuTensor kCache, CpuTensor vCache, CpuTensor output, AttentionParameters a, int rows)
    {
        if (a.HeadCount % a.KvHeadCount != 0)
            throw new ArgumentException($"head count {a.HeadCount} is not a multiple of KV head count {a.KvHeadCount}");
        _q = q; _k = kCache; _v = vCache; _o = output; _a = a;
        _pool.Run(this, rows * a.HeadCount);
    }

    public void Execute(int chunk, int thread)
    {
        var a = _a;
        int t = chunk / a.HeadCount, h = chunk % a.HeadCount;
        int kvh = h / (a.HeadCount / a.KvHeadCount);
        int hd = a.HeadDim;
        int pos = a.Positions[t];
        int[] table = a.BlockTables[a.TokenSequence[t]];
        int n = pos + 1;
        if ((n + a.BlockSize - 1) / a.BlockSize > table.Length)
            throw new InvalidOperationException($"block table of {table.Length} blocks does not cover position {pos}");
        float* scores = (float*)_scores[thread].Ensure(n * 4L);
        float* q = _q.Row(t) + h * hd;
        long kvOffset = (long)kvh * hd;
        for (int p = 0; p < n; p++)
        {
            int row = table[p / a.BlockSize] * a.BlockSize + p % a.BlockSize;
            scores[p] = DotF32.Dot(q, _k.Row(row) + kvOffset, hd) * a.Scale;
        }
        SoftmaxKernel.Run(scores, n);
        float* o = _o.Row(t) + h * hd;
        new Span<float>(o, hd).Clear();
        for (int p = 0; p < n; p++)
        {
            int row = table[p / a.BlockSize] * a.BlockSize + p % a.BlockSize;
            Axpy.Run(scores[p], _v.Row(row) + kvOffset, o, hd);
        }
    }

    public void Dispose()
    {
        foreach (var b in _scores) b.Dispose();
    }
}
