using Hearth.Core.Gguf;
using Hearth.Core.Quants;
using Hearth.Core.Tensors;
using Hearth.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace Hearth.Gpu;

/// <summary>The GPU backend: ILGPU kernels (PTX on CUDA, the CPU accelerator in tests) over device F32 tensors, device
/// copies of the weights, GEMMs through cuBLAS on CUDA. Indices (token ids, slots, rows, block tables) are validated on
/// the host before they reach a kernel. Ops are called from one thread at a time (the model's); the accelerator is bound
/// to whichever thread calls.</summary>
public sealed partial class GpuBackend : IBackend
{
    private readonly GpuDevice _device;
    private readonly bool _ownsDevice;
    private readonly KernelSet _k;
    private readonly GpuMatMul _matmul;
    private readonly GpuAttention _attention;
    private readonly DeviceInts _ids, _rows, _slots, _ropePositions;
    private readonly DeviceFloats _factors;
    private readonly DeviceScratch<int> _argMax;
    private readonly List<GpuWeight> _weights = [];
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _noFactors;

    /// <param name="attentionSplitSize">Positions per split of decode attention (long contexts spread over more warps).</param>
    public GpuBackend(GpuDevice device, bool ownsDevice = true, int attentionSplitSize = 512)
    {
        // The argmax and group reductions halve the group: a power of two of at most 1024 threads.
        if (device.GroupSize > 1024 || (device.GroupSize & (device.GroupSize - 1)) != 0)
            throw new ArgumentException($"the GPU kernels need a power-of-two group of at most 1024 threads, not {device.GroupSize}");
        _device = device;
        _ownsDevice = ownsDevice;
        device.Accelerator.Bind();
        _k = new KernelSet(device);
        _matmul = new GpuMatMul(_k);
        _attention = new GpuAttention(_k, attentionSplitSize);
        _ids = new(device); _rows = new(device); _slots = new(device); _ropePositions = new(device); _factors = new(device);
        _argMax = new(device);
        _noFactors = device.Accelerator.Allocate1D<float>(1);
    }

    public GpuDevice Device => _device;

    public string Name => $"gpu ({_device.Name}, gemm: {_matmul.GemmName})";

    /// <summary>Bytes of device memory held by weights.</summary>
    public long WeightBytes { get { lock (_weights) return _weights.Sum(w => w.DeviceRowBytes * w.Rows); } }

    public Tensor Allocate(int rows, int columns)
    {
        Bind();
        return new GpuTensor(_device, rows, columns);
    }

    /// <summary>The GPU kernels read an F32 cache only: a smaller element type is refused here, before any memory is taken.</summary>
    public Tensor AllocateKvCache(int rows, int columns, KvCacheType type) => type == KvCacheType.F32
        ? Allocate(rows, columns)
        : throw new NotSupportedException($"the GPU backend keeps the KV cache in f32; a {KvCacheTypes.Name(type)} KV cache runs on the CPU backend only (--device cpu)");

    public Weight LoadWeight(GgufFile file, GgufTensorInfo tensor)
    {
        if (!Dequantizer.Supports(tensor.Type))
            throw new NotSupportedException($"{file.Path}: tensor '{tensor.Name}' has type {tensor.Type}, which the GPU backend does not support");
        return AdoptWeight(Weight.FromGguf(file, tensor));
    }

    public void ReleaseWeight(Weight weight)
    {
        if (weight is not GpuWeight w) return;
        lock (_weights)
            if (!_weights.Remove(w)) return;
        w.Dispose();
    }

    /// <summary>Copies a host weight to the device (owned and freed by the backend).</summary>
    public Weight AdoptWeight(Weight weight)
    {
        Bind();
        var w = GpuWeight.Upload(_device, weight);
        lock (_weights) _weights.Add(w);
        return w;
    }

    public void Upload(ReadOnlySpan<float> source, Tensor destination, int firstRow)
    {
        var d = G(destination);
        CheckRows(d, firstRow);
        if (source.Length > (long)(d.Rows - firstRow) * d.Columns) throw new ArgumentException("upload overruns the tensor");
        Bind();
        if (source.Length > 0) d.View.SubView((long)firstRow * d.Columns, source.Length).CopyFromCPU(_k.Stream, source);
    }

    public void Download(Tensor source, int firstRow, int rowCount, Span<float> destination)
    {
        var s = G(source);
        CheckRows(s, firstRow + rowCount);
        Bind();
        if (rowCount > 0) s.RowRange(firstRow, rowCount).CopyToCPU(_k.Stream, destination[..(rowCount * s.Columns)]);
        _k.Stream.Synchronize();
    }

    public void Embed(Weight table, ReadOnlySpan<int> ids, Tensor destination)
    {
        var d = G(destination); var w = W(table);
        CheckRows(d, ids.Length);
        if (d.Columns != table.Columns) throw new ArgumentException("embedding width mismatch");
        foreach (int id in ids)
            if ((uint)id >= (uint)table.Rows)
                throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} is outside the vocabulary (0..{table.Rows - 1})");
        if (ids.Length == 0) return;
        Bind();
        long count = (long)ids.Length * d.Columns;
        _k.Embed(_k.Stream, _k.Elements(count), w.Bytes, (int)w.Format, w.DeviceRowBytes, _ids.Upload(ids), d.View, d.Columns, count);
    }

    public void MatMul(Tensor x, Weight w, Tensor y, int rows)
    {
        var gx = G(x); var gy = G(y); var gw = W(w);
        CheckRows(gx, rows); CheckRows(gy, rows);
        if (gx.Columns != w.Columns || gy.Columns != w.Rows)
            throw new ArgumentException($"matmul shape mismatch: x[{rows}×{gx.Columns}] · {w.Name}[{w.Rows}×{w.Columns}]ᵀ → y[{rows}×{gy.Columns}]");
        Bind();
        _matmul.Run(gx, gw, gy, rows);
    }

    public void AddBias(Tensor y, Weight bias, int rows)
    {
        var gy = G(y); var b = W(bias);
        CheckRows(gy, rows);
        if (b.Format != WeightFormat.F32 || b.Columns * b.Rows != gy.Columns) throw new ArgumentException($"bias '{bias.Name}' must be F32 of {gy.Columns}");
        Bind();
        long count = (long)rows * gy.Columns;
        if (count > 0) _k.AddBias(_k.Stream, _k.Elements(count), gy.View, b.Floats, gy.Columns, count);
    }

    public void RmsNorm(Tensor x, Weight weight, float epsilon, Tensor y, int rows)
    {
        var gx = G(x); var gy = G(y); var w = W(weight);
        CheckRows(gx, rows); CheckRows(gy, rows);
        int n = weight.Columns * weight.Rows;
        if (w.Format != WeightFormat.F32 || gx.Columns % n != 0 || gx.Columns != gy.Columns)
            throw new ArgumentException($"rms norm weight '{weight.Name}' ({weight.Type}, {n}) does not fit rows of {gx.Columns}");
        Bind();
        int groups = checked(rows * (gx.Columns / n));
        if (groups > 0) _k.RmsNorm(_k.Stream, _k.PerGroup(groups), gx.View, w.Floats, n, epsilon, gy.View);
    }

    /// <summary>The residual add and the following RMS norm in one kernel (one read of x and delta, one write of x and y).</summary>
    public void AddRmsNorm(Tensor x, Tensor delta, Weight weight, float epsilon, Tensor y, int rows)
    {
        var gx = G(x); var gd = G(delta); var gy = G(y); var w = W(weight);
        CheckRows(gx, rows); CheckRows(gd, rows); CheckRows(gy, rows);
        if (w.Format != WeightFormat.F32 || weight.Columns * weight.Rows != gx.Columns || gd.Columns != gx.Columns || gy.Columns != gx.Columns)
            throw new ArgumentException($"add + rms norm: weight '{weight.Name}' ({weight.Type}, {weight.Columns * weight.Rows}) does not fit rows of {gx.Columns}");
        if (rows == 0) return;
        Bind();
        _k.AddRmsNorm(_k.Stream, _k.PerGroup(rows), gx.View, gd.View, w.Floats, gx.Columns, epsilon, gy.View);
    }

    public void Rope(Tensor x, int rows, int headDim, ReadOnlySpan<int> positions, RopeParameters rope)
    {
        var gx = G(x);
        CheckRows(gx, rows);
        if (gx.Columns % headDim != 0 || rope.Dimensions > headDim || rope.Dimensions % 2 != 0)
            throw new ArgumentException($"rope: {rope.Dimensions} dims do not fit heads of {headDim} in rows of {gx.Columns}");
        if (positions.Length < rows) throw new ArgumentException($"rope: {positions.Length} positions for {rows} rows");
        var factors = _noFactors.View;
        if (rope.FrequencyFactors is { } f)
        {
            var gf = W(f);
            if (gf.Format != WeightFormat.F32 || f.Columns * f.Rows < rope.Dimensions / 2) throw new ArgumentException("rope frequency factors must be F32 of dims/2");
            factors = gf.Floats;
        }
        if (rows == 0 || rope.Dimensions == 0) return;
        Bind();
        var shape = new RopeShape
        {
            Columns = gx.Columns, Heads = gx.Columns / headDim, HeadDim = headDim, Dimensions = rope.Dimensions,
            Neox = rope.Neox ? 1 : 0, HasFactors = rope.FrequencyFactors != null ? 1 : 0,
            // The same F32 value the CPU backend multiplies by, so both compute identical angles.
            ThetaScale = MathF.Pow(rope.FrequencyBase, -2.0f / rope.Dimensions), FrequencyScale = rope.FrequencyScale,
            Magnitude = rope.AttentionFactor,
        };
        if (rope.Yarn is { ExtFactor: not 0 } yarn)
        {
            // ggml_rope_yarn_corr_dims and the magnitude term, in the CPU backend's F32 operations.
            float CorrectionDim(float rotations) =>
                rope.Dimensions * MathF.Log(yarn.OriginalContext / (rotations * 2 * MathF.PI)) / (2 * MathF.Log(rope.FrequencyBase));
            shape.ExtFactor = yarn.ExtFactor;
            shape.CorrectionLow = MathF.Max(0, MathF.Floor(CorrectionDim(yarn.BetaFast)));
            shape.CorrectionHigh = MathF.Min(rope.Dimensions - 1, MathF.Ceiling(CorrectionDim(yarn.BetaSlow)));
            shape.Magnitude *= 1.0f + 0.1f * MathF.Log(1.0f / rope.FrequencyScale);
        }
        long count = (long)rows * shape.Heads * (rope.Dimensions / 2);
        _k.Rope(_k.Stream, _k.Elements(count), gx.View, _ropePositions.Upload(positions[..rows]), shape, factors, count);
    }

    public void SwiGlu(Tensor gate, Tensor up, Tensor y, int rows) => Binary(_k.SwiGlu, gate, up, y, rows);

    public void Add(Tensor a, Tensor b, Tensor y, int rows) => Binary(_k.Add, a, b, y, rows);

    /// <summary>y = op(a, b) element-wise over the first rows.</summary>
    private void Binary(Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, long> kernel,
        Tensor a, Tensor b, Tensor y, int rows)
    {
        var ga = G(a); var gb = G(b); var gy = G(y);
        CheckRows(ga, rows); CheckRows(gb, rows); CheckRows(gy, rows);
        if (ga.Columns != gb.Columns || ga.Columns != gy.Columns) throw new ArgumentException("element-wise operands differ in width");
        Bind();
        long count = (long)rows * ga.Columns;
        if (count > 0) kernel(_k.Stream, _k.Elements(count), ga.View, gb.View, gy.View, count);
    }

    public void GatherRows(Tensor source, ReadOnlySpan<int> rowIndices, Tensor destination)
    {
        var s = G(source); var d = G(destination);
        CheckRows(d, rowIndices.Length);
        if (s.Columns != d.Columns) throw new ArgumentException("gather width mismatch");
        foreach (int r in rowIndices) CheckRows(s, r + 1);
        if (rowIndices.Length == 0) return;
        Bind();
        long count = (long)rowIndices.Length * s.Columns;
        _k.Gather(_k.Stream, _k.Elements(count), s.View, _rows.Upload(rowIndices), d.View, s.Columns, count);
    }

    public void WriteKv(Tensor k, Tensor v, Tensor kCache, Tensor vCache, ReadOnlySpan<int> slots, int rows)
    {
        var gk = G(k); var gv = G(v); var kc = G(kCache); var vc = G(vCache);
        CheckRows(gk, rows); CheckRows(gv, rows);
        if (gk.Columns != kc.Columns || gv.Columns != vc.Columns || kc.Rows != vc.Rows) throw new ArgumentException("KV width mismatch");
        for (int t = 0; t < rows; t++)
            if ((uint)slots[t] >= (uint)kc.Rows) throw new ArgumentOutOfRangeException(nameof(slots), $"KV slot {slots[t]} is outside the cache ({kc.Rows} slots)");
        if (rows == 0) return;
        Bind();
        long count = (long)rows * gk.Columns;
        _k.WriteKv(_k.Stream, _k.Elements(count), gk.View, gv.View, kc.View, vc.View, _slots.Upload(slots[..rows]), gk.Columns, count);
    }

    public void PagedAttention(Tensor q, Tensor kCache, Tensor vCache, Tensor output, AttentionParameters attention, int rows)
    {
        var gq = G(q); var go = G(output);
        CheckRows(gq, rows); CheckRows(go, rows);
        Bind();
        _attention.Run(gq, G(kCache), G(vCache), go, attention, rows, attention.Sinks is { } sinks ? W(sinks) : null);
    }

    /// <summary>Copies rows within one tensor; the ranges must not overlap (the model copies whole distinct KV blocks).</summary>
    public void CopyRows(Tensor tensor, int sourceRow, int destinationRow, int count)
    {
        var t = G(tensor);
        CheckRows(t, sourceRow + count); CheckRows(t, destinationRow + count);
        if (count == 0 || sourceRow == destinationRow) return;
        if (Math.Abs(sourceRow - destinationRow) < count) throw new ArgumentException("CopyRows ranges overlap");
        Bind();
        t.RowRange(sourceRow, count).CopyTo(_k.Stream, t.RowRange(destinationRow, count));
    }

    private static GpuTensor G(Tensor t) => t as GpuTensor ?? throw new ArgumentException("tensor does not belong to the GPU backend");

    private static GpuWeight W(Weight w) => w as GpuWeight ?? throw new ArgumentException($"weight '{w.Name}' was not loaded by the GPU backend");

    private static void CheckRows(Tensor t, int rows)
    {
        if ((uint)rows > (uint)t.Rows) throw new ArgumentOutOfRangeException(nameof(rows), $"{rows} rows requested of a tensor with {t.Rows}");
    }

    /// <summary>Makes the accelerator current on the calling thread (CUDA contexts are per thread; the engine calls from its own).</summary>
    private void Bind()
    {
        if (_device.IsCuda) _device.Accelerator.Bind();
    }

    public void Dispose()
    {
        Bind();
        _k.Stream.Synchronize();
        _matmul.Dispose();
        _attention.Dispose();
        foreach (var d in new IDisposable[] { _ids, _rows, _slots, _ropePositions, _factors, _argMax, _noFactors }) d.Dispose();
        lock (_weights)
        {
            foreach (var w in _weights) w.Dispose();
            _weights.Clear();
        }
        if (_ownsDevice) _device.Dispose();
    }
}
