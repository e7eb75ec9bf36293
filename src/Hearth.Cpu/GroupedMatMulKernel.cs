using System.Runtime.CompilerServices;
using Hearth.Cpu.Kernels;
using Hearth.Cpu.Packed;

namespace Hearth.Cpu;

/// <summary>Many packed-weight matmuls in two pool dispatches (<see cref="Hearth.Core.Tensors.IGroupedMatMul"/>): phase 1
/// quantizes each distinct activation (same rows, same layout) once, phase 2 hands out the weight-row chunks of every
/// product from one counter, so a MoE layer's experts at decode cost one fork-join instead of one per matrix, and one
/// thread's tail waits for the last chunk of all of them, not of each. Each product runs exactly
/// <see cref="MatMulKernel"/>'s packed tiles (and the bias add after them), so results are bit for bit the same.</summary>
internal sealed unsafe class GroupedMatMulKernel : IParallelJob, IDisposable
{
    /// <summary>One product: weight rows [0, W.Rows) against source <see cref="Source"/>'s rows, into Y (row stride
    /// <see cref="YStride"/>), plus the bias row when set.</summary>
    private struct Product
    {
        public PackedWeight W;
        public float* Y;
        public long YStride;
        public float* Bias;
        public int Source;
        public int ChunkRows;
    }

    /// <summary>An activation (rows at X, row length = the layout's columns) as one packed layout reads it.</summary>
    private struct Source
    {
        public float* X;
        public PackedWeight Layout;
        public PackedActivation Prepared;
    }

    /// <summary>Multiply-adds below which the whole group runs on the calling thread (as <see cref="MatMulKernel"/>).</summary>
    private const long InlineWork = 1 << 20;

    /// <summary>Activation elements to quantize below which phase 1 runs on the calling thread: a 4-token, 2,880-wide
    /// quantization is a few microseconds, less than waking the pool.</summary>
    private const long InlineQuantize = 16 * 1024;

    private readonly CpuThreadPool _pool;
    private readonly CpuIsa _isa;
    private readonly NativeBuffer _act = new();
    private readonly NativeBuffer[] _rowScratch;
    private Product[] _products = new Product[16];
    private Source[] _sources = new Source[16];
    private int[] _firstChunk = new int[17]; // product p's chunks are [_firstChunk[p], _firstChunk[p + 1])
    private int[] _firstRow = new int[17];   // source s's rows are [_firstRow[s], _firstRow[s + 1]) of phase 1
    private int _productCount, _sourceCount;
    private bool _quantizePhase;

    public GroupedMatMulKernel(CpuThreadPool pool, CpuIsa isa)
    {
        _pool = pool;
        _isa = isa;
        _rowScratch = new NativeBuffer[pool.ThreadCount];
        for (int i = 0; i < _rowScratch.Length; i++) _rowScratch[i] = new NativeBuffer();
    }

    /// <summary>Starts a group (the products added until <see cref="Run"/>).</summary>
    public void Begin() => _productCount = _sourceCount = 0;

    /// <summary>Adds y[0, rows) (row stride w.Rows) = x[0, rows) (row stride w.Columns) · wᵀ (+ bias), for a packed w.</summary>
    public void Add(float* x, PackedWeight w, float* y, int rows, float* bias)
    {
        if (rows == 0) return;
        int source = FindSource(x, w, rows);
        if (_productCount == _products.Length) Array.Resize(ref _products, _productCount * 2);
        _products[_productCount++] = new Product { W = w, Y = y, YStride = w.Rows, Bias = bias, Source = source };
    }

    /// <summary>The source already added for these activation rows in this layout, or a new one.</summary>
    private int FindSource(float* x, PackedWeight w, int rows)
    {
        for (int s = 0; s < _sourceCount; s++)
        {
            ref var src = ref _sources[s];
            if (src.X == x && src.Prepared.Rows == rows && SameActivation(src.Layout, w)) return s;
        }
        if (_sourceCount == _sources.Length) Array.Resize(ref _sources, _sourceCount * 2);
        _sources[_sourceCount] = new Source { X = x, Layout = w, Prepared = PackedActivation.At(w, null, rows) };
        return _sourceCount++;
    }

    /// <summary>Whether two packed weights read an activation quantized the same way: the same format, the same layout
    /// class and the same interleave (with or without magnitudes), at the same width.</summary>
    private static bool SameActivation(PackedWeight a, PackedWeight b) =>
        a.Type == b.Type && a.Columns == b.Columns && a.GetType() == b.GetType() && a.AbsActivations == b.AbsActivations;

    /// <summary>Runs the products added since <see cref="Begin"/>.</summary>
    public void Run()
    {
        if (_productCount == 0) return;
        // Phase 1: every source's rows quantized into its own slice of one buffer.
        if (_firstRow.Length < _sourceCount + 1) _firstRow = new int[_sourceCount * 2 + 1];
        long bytes = 0, elements = 0;
        for (int s = 0; s < _sourceCount; s++)
        {
            ref var src = ref _sources[s];
            bytes += (PackedActivation.Bytes(src.Layout, src.Prepared.Rows) + 63) & ~63L;
            _firstRow[s + 1] = _firstRow[s] + src.Prepared.Rows;
            elements += (long)src.Prepared.Rows * src.Layout.Columns;
        }
        byte* buffer = _act.Ensure(bytes);
        for (int s = 0; s < _sourceCount; s++)
        {
            ref var src = ref _sources[s];
            src.Prepared = PackedActivation.At(src.Layout, buffer, src.Prepared.Rows);
            buffer += (PackedActivation.Bytes(src.Layout, src.Prepared.Rows) + 63) & ~63L;
        }
        _quantizePhase = true;
        int totalRows = _firstRow[_sourceCount];
        if (elements <= InlineQuantize) for (int i = 0; i < totalRows; i++) Execute(i, 0);
        else _pool.Run(this, totalRows);
        _quantizePhase = false;

        // Phase 2: chunks of whole 2-group tiles, one share of each product per thread, all products in one run.
        if (_firstChunk.Length < _productCount + 1) _firstChunk = new int[_productCount * 2 + 1];
        long work = 0;
        for (int p = 0; p < _productCount; p++)
        {
            ref var product = ref _products[p];
            int groups = product.W.Groups;
            product.ChunkRows = PackedGemm.GroupedChunkRows(groups, _pool.ThreadCount);
            int chunks = (groups * PackedWeight.GroupRows + product.ChunkRows - 1) / product.ChunkRows;
            _firstChunk[p + 1] = _firstChunk[p] + chunks;
            work += (long)product.W.Rows * product.W.Columns * _sources[product.Source].Prepared.Rows;
        }
        int total = _firstChunk[_productCount];
        if (work <= InlineWork) for (int c = 0; c < total; c++) Execute(c, 0);
        else _pool.Run(this, total);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int chunk, int thread)
    {
        if (_quantizePhase)
        {
            int s = Find(_firstRow, _sourceCount, chunk);
            ref var src = ref _sources[s];
            int t = chunk - _firstRow[s];
            src.Prepared.Quantize(_isa, src.Layout, src.X + (long)t * src.Layout.Columns, t, _rowScratch[thread]);
            return;
        }
        int p = Find(_firstChunk, _productCount, chunk);
        ref var product = ref _products[p];
        var w = product.W;
        int n0 = (chunk - _firstChunk[p]) * product.ChunkRows, n1 = Math.Min(w.Rows, n0 + product.ChunkRows);
        ref var source = ref _sources[product.Source];
        source.Prepared.Tiles(w, n0, n1, product.Y, product.YStride);
        if (product.Bias == null) return;
        for (int t = 0; t < source.Prepared.Rows; t++)
        {
            float* y = product.Y + t * product.YStride + n0;
            ElementwiseKernels.Add(y, product.Bias + n0, y, n1 - n0);
        }
    }

    /// <summary>The index i &lt; count with starts[i] ≤ value &lt; starts[i + 1] (starts ascending from 0).</summary>
    private static int Find(int[] starts, int count, int value)
    {
        int lo = 0, hi = count - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >> 1;
            if (starts[mid] <= value) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    public void Dispose()
    {
        _act.Dispose();
        foreach (var b in _rowScratch) b.Dispose();
    }
}
