using System.Runtime.CompilerServices;
using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Cpu.Kernels;
using Hearth.Cpu.Packed;

namespace Hearth.Cpu;

/// <summary>The CPU backend: SIMD kernels (Vector512 → 256 → 128 → scalar) over native F32 tensors, weights read in
/// place from the GGUF mapping, matmul and attention spread over an own spin-then-sleep thread pool.
/// Ops are called from one thread at a time (the model's).</summary>
public sealed unsafe class CpuBackend : IBackend, IEncoderAttention, IGroupedMatMul, IConcurrentWeightLoading
{
    private readonly CpuThreadPool _pool;
    private readonly MatMulKernel _matmul;
    private readonly GroupedMatMulKernel _grouped;
    private readonly PagedAttentionKernel _attention;
    private readonly PackedKvAttentionKernel _packedAttention;
    private readonly EncoderAttentionKernel _encoderAttention;
    private readonly NativeBuffer _ropeCache = new();
    private readonly List<IDisposable> _ownedWeights = [];
    private readonly CpuIsa _isa;

    /// <param name="threads">Worker threads including the caller; 0 or less = all logical cores.</param>
    /// <param name="isa">The instruction-set level its kernels use; default: everything the machine has
    /// (<see cref="CpuIsa.Detected"/>). Tests pass lower levels to run every rung of the width ladder.</param>
    public CpuBackend(int threads = 0, CpuIsa? isa = null)
    {
        if (threads <= 0) threads = Environment.ProcessorCount;
        _isa = isa ?? CpuIsa.Detected;
        _pool = new CpuThreadPool(threads);
        _matmul = new MatMulKernel(_pool, _isa);
        _grouped = new GroupedMatMulKernel(_pool, _isa);
        _attention = new PagedAttentionKernel(_pool, _isa);
        _packedAttention = new PackedKvAttentionKernel(_pool, _isa);
        _encoderAttention = new EncoderAttentionKernel(_pool, _isa);
    }

    /// <summary>The instruction-set level this backend's kernels run at.</summary>
    public CpuIsa Isa => _isa;

    public int ThreadCount => _pool.ThreadCount;

    public string Name => $"cpu ({_pool.ThreadCount} threads, {_isa.PathName})";

    public Tensor Allocate(int rows, int columns) => new CpuTensor(rows, columns);

    public Tensor AllocateKvCache(int rows, int columns, KvCacheType type) =>
        type == KvCacheType.F32 ? new CpuTensor(rows, columns) : new CpuKvTensor(rows, columns, type);

    public Weight LoadWeight(GgufFile file, GgufTensorInfo tensor)
    {
        if (!RowDequantizer.Supports(tensor.Type))
            throw new NotSupportedException($"{file.Path}: tensor '{tensor.Name}' has type {tensor.Type}, which the CPU backend does not support (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS, MXFP4)");
        return AdoptMapped(file, Weight.FromGguf(file, tensor));
    }

    public Weight LoadLookupTable(GgufFile file, GgufTensorInfo tensor)
    {
        if (!RowDequantizer.Supports(tensor.Type))
            throw new NotSupportedException($"{file.Path}: tensor '{tensor.Name}' has type {tensor.Type}, which the CPU backend does not support");
        return Weight.FromGguf(file, tensor);
    }

    public Weight LoadWeightRows(GgufFile file, GgufTensorInfo tensor, long firstRow, int rowCount)
    {
        if (!RowDequantizer.Supports(tensor.Type))
            throw new NotSupportedException($"{file.Path}: tensor '{tensor.Name}' has type {tensor.Type}, which the CPU backend does not support");
        if (firstRow < 0 || rowCount < 1 || firstRow + rowCount > tensor.RowCount || tensor.RowLength > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(firstRow), $"{file.Path}: rows [{firstRow}, +{rowCount}) are outside tensor '{tensor.Name}' of {tensor.RowCount} rows");
        long rowBytes = GgmlTypeInfo.RowBytes(tensor.Type, (int)tensor.RowLength);
        var slice = new Weight($"{tensor.Name}[{firstRow}..{firstRow + rowCount})", tensor.Type, rowCount, (int)tensor.RowLength,
            file.GetTensorPointer(tensor) + firstRow * rowBytes);
        return AdoptMapped(file, slice);
    }

    /// <summary><see cref="AdoptWeight"/> for a weight read from <paramref name="file"/>'s mapping. Once its bytes are
    /// copied or re-laid out, the mapped pages leave the resident set, so the model is not held twice (1B Q8_0:
    /// 2.7 GB → 1.4 GB after load); embedding lookups and lower SIMD rungs that still read the mapping fault back in
    /// just the pages they touch, from the page cache.</summary>
    private Weight AdoptMapped(GgufFile file, Weight mapped)
    {
        var adopted = AdoptWeight(mapped);
        if (!ReferenceEquals(adopted, mapped)) file.ReleaseResident(mapped.Data, mapped.RowBytes * mapped.Rows);
        return adopted;
    }

    /// <summary>The form of <paramref name="weight"/> this backend computes with fastest, owned (and freed) by the
    /// backend: matrices with a packed layout re-laid out for the AVX-VNNI kernels (<see cref="PackedWeight.TryPack"/>;
    /// the original data must stay valid, as lookups and the lower SIMD rungs still read it), other matrices copied
    /// out of the file mapping (<see cref="CopiedWeight"/>). Vectors (norms, biases) are used in place.</summary>
    public Weight AdoptWeight(Weight weight)
    {
        if (weight.Rows <= 1) return weight;
        Weight adopted = (Weight?)PackedWeight.TryPack(weight, _isa) ?? (Weight?)CompactBF16Weight.TryCompact(weight, _isa)
            ?? (Weight?)GroupedHalfWeight.TryGroup(weight, _isa) ?? CopiedWeight.Copy(weight);
        lock (_ownedWeights) _ownedWeights.Add((IDisposable)adopted);
        return adopted;
    }

    public void ReleaseWeight(Weight weight)
    {
        if (weight is not IDisposable owned) return; // vectors are used in place: nothing to free
        lock (_ownedWeights)
            if (!_ownedWeights.Remove(owned)) return;
        owned.Dispose();
    }

    private static CpuTensor C(Tensor t) => t as CpuTensor ?? throw new ArgumentException("tensor does not belong to the CPU backend");

    private static void CheckRows(Tensor t, int rows)
    {
        if ((uint)rows > (uint)t.Rows) throw new ArgumentOutOfRangeException(nameof(rows), $"{rows} rows requested of a tensor with {t.Rows}");
    }

    public void Upload(ReadOnlySpan<float> source, Tensor destination, int firstRow)
    {
        var d = C(destination);
        source.CopyTo(new Span<float>(d.Row(firstRow), checked((d.Rows - firstRow) * d.Columns)));
    }

    public void Download(Tensor source, int firstRow, int rowCount, Span<float> destination)
    {
        var s = C(source);
        CheckRows(s, firstRow + rowCount);
        new ReadOnlySpan<float>(s.Row(firstRow), rowCount * s.Columns).CopyTo(destination);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Embed(Weight table, ReadOnlySpan<int> ids, Tensor destination)
    {
        var d = C(destination);
        CheckRows(d, ids.Length);
        if (d.Columns != table.Columns) throw new ArgumentException("embedding width mismatch");
        // Restored rows are small (2,176 bytes for a 2,048-wide Q8_0 row); wider ones are read in place.
        bool restore = table is PackedWeight { RestoresRows: true } && table.RowBytes <= 32768;
        byte* buffer = stackalloc byte[restore ? (int)table.RowBytes : 1];
        byte* restored = restore ? buffer : null;
        for (int i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)table.Rows)
                throw new ArgumentOutOfRangeException(nameof(ids), $"token id {ids[i]} is outside the vocabulary (0..{table.Rows - 1})");
            RowDequantizer.Dequantize(table.Type, TableRow(table, ids[i], restored), table.Columns, d.Row(i));
        }
    }

    /// <summary>A table row's GGUF bytes: from the packed copy where its layout keeps them (so a tied embedding is not
    /// read from the mapping too, whose pages were released after packing), else in place.</summary>
    private static byte* TableRow(Weight table, int id, byte* restored)
    {
        if (restored == null) return table.Row(id);
        ((PackedWeight)table).RestoreRow(id, restored);
        return restored;
    }

    public void MatMul(Tensor x, Weight w, Tensor y, int rows)
    {
        var cx = C(x); var cy = C(y);
        CheckRows(cx, rows); CheckRows(cy, rows);
        if (cx.Columns != w.Columns || cy.Columns != w.Rows)
            throw new ArgumentException($"matmul shape mismatch: x[{rows}×{cx.Columns}] · {w.Name}[{w.Rows}×{w.Columns}]ᵀ → y[{rows}×{cy.Columns}]");
        _matmul.Run(cx.Data, w, cy.Data, rows);
    }

    /// <summary>Packed parts run together through <see cref="GroupedMatMulKernel"/>; any other part (a type without a
    /// packed layout, or a level that does not use it) runs alone through the ordinary matmul and bias add.</summary>
    public void MatMuls(ReadOnlySpan<MatMulPart> parts)
    {
        foreach (var part in parts)
        {
            var cx = C(part.X); var cy = C(part.Y); var w = part.Weight;
            if (part.FirstRow < 0 || part.Rows < 0) throw new ArgumentOutOfRangeException(nameof(parts), $"rows [{part.FirstRow}, +{part.Rows}) of a grouped matmul");
            CheckRows(cx, part.FirstRow + part.Rows); CheckRows(cy, part.FirstRow + part.Rows);
            if (cx.Columns != w.Columns || cy.Columns != w.Rows)
                throw new ArgumentException($"matmul shape mismatch: x[{part.Rows}×{cx.Columns}] · {w.Name}[{w.Rows}×{w.Columns}]ᵀ → y[{part.Rows}×{cy.Columns}]");
            if (part.Bias is { } bias) CheckBias(bias, cy.Columns);
        }
        _grouped.Begin();
        foreach (var part in parts)
        {
            if (part.Rows == 0) continue;
            var cy = C(part.Y);
            float* x = C(part.X).Row(part.FirstRow), y = cy.Row(part.FirstRow);
            float* b = part.Bias is null ? null : (float*)part.Bias.Data;
            if (_isa.UsePacked && part.Weight is PackedWeight packed)
            {
                _grouped.Add(x, packed, y, part.Rows, b);
                continue;
            }
            _matmul.Run(x, part.Weight, y, part.Rows);
            if (b != null) AddBiasRows(y, b, part.Rows, cy.Columns);
        }
        _grouped.Run();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddBias(Tensor y, Weight bias, int rows)
    {
        var cy = C(y);
        CheckRows(cy, rows);
        CheckBias(bias, cy.Columns);
        AddBiasRows(cy.Data, (float*)bias.Data, rows, cy.Columns);
    }

    private static void CheckBias(Weight bias, int columns)
    {
        if (bias.Type != GgmlType.F32 || bias.Columns * bias.Rows != columns) throw new ArgumentException($"bias '{bias.Name}' must be F32 of {columns}");
    }

    /// <summary>y[t, ..) += bias for t &lt; rows (rows <paramref name="columns"/> apart).</summary>
    private static void AddBiasRows(float* y, float* bias, int rows, int columns)
    {
        for (int t = 0; t < rows; t++) ElementwiseKernels.Add(y + (long)t * columns, bias, y + (long)t * columns, columns);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void RmsNorm(Tensor x, Weight weight, float epsilon, Tensor y, int rows)
    {
        var cx = C(x); var cy = C(y);
        CheckRows(cx, rows); CheckRows(cy, rows);
        int n = weight.Columns * weight.Rows;
        if (weight.Type != GgmlType.F32 || cx.Columns % n != 0 || cx.Columns != cy.Columns)
            throw new ArgumentException($"rms norm weight '{weight.Name}' ({weight.Type}, {n}) does not fit rows of {cx.Columns}");
        long groups = (long)rows * (cx.Columns / n);
        for (long g = 0; g < groups; g++) RmsNormKernel.Run(_isa, cx.Data + g * n, (float*)weight.Data, n, epsilon, cy.Data + g * n);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void LayerNorm(Tensor x, Weight weight, Weight? bias, float epsilon, Tensor y, int rows)
    {
        var cx = C(x); var cy = C(y);
        CheckRows(cx, rows); CheckRows(cy, rows);
        int n = cx.Columns;
        if (weight.Type != GgmlType.F32 || weight.Columns * weight.Rows != n || cy.Columns != n)
            throw new ArgumentException($"layer norm weight '{weight.Name}' ({weight.Type}, {weight.Columns * weight.Rows}) does not fit rows of {n}");
        if (bias is not null && (bias.Type != GgmlType.F32 || bias.Columns * bias.Rows != n))
            throw new ArgumentException($"layer norm bias '{bias.Name}' must be F32 of {n}");
        float* b = bias is null ? null : (float*)bias.Data;
        for (int t = 0; t < rows; t++) LayerNormKernel.Run(_isa, cx.Row(t), (float*)weight.Data, b, n, epsilon, cy.Row(t));
    }

    public void Gelu(Tensor x, Tensor y, int rows)
    {
        var cx = C(x); var cy = C(y);
        CheckRows(cx, rows); CheckRows(cy, rows);
        if (cx.Columns != cy.Columns) throw new ArgumentException("gelu: x and y widths differ");
        GeluKernel.Run(_isa, cx.Data, cy.Data, (long)rows * cx.Columns);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Rope(Tensor x, int rows, int headDim, ReadOnlySpan<int> positions, RopeParameters rope)
    {
        var cx = C(x);
        CheckRows(cx, rows);
        if (cx.Columns % headDim != 0 || rope.Dimensions > headDim || rope.Dimensions % 2 != 0)
            throw new ArgumentException($"rope: {rope.Dimensions} dims do not fit heads of {headDim} in rows of {cx.Columns}");
        float* ff = null;
        if (rope.FrequencyFactors is { } f)
        {
            if (f.Type != GgmlType.F32 || f.Columns * f.Rows < rope.Dimensions / 2) throw new ArgumentException("rope frequency factors must be F32 of dims/2");
            ff = (float*)f.Data;
        }
        float* cache = (float*)_ropeCache.Ensure(RopeKernel.CacheFloats(rope.Dimensions) * 4L);
        var y = rope.Yarn;
        var ext = new RopeExtension(rope.Dimensions, rope.FrequencyBase, rope.AttentionFactor, y?.ExtFactor ?? 0,
            y?.OriginalContext ?? 0, y?.BetaFast ?? 0, y?.BetaSlow ?? 0);
        for (int t = 0; t < rows; t++)
            RopeKernel.Run(_isa, cx.Row(t), cx.Columns / headDim, headDim, positions[t], rope.Dimensions, rope.FrequencyBase,
                rope.FrequencyScale, rope.Neox, ff, cache, ext);
    }

    public void SwiGlu(Tensor gate, Tensor up, Tensor y, int rows)
    {
        var g = C(gate); var u = C(up); var cy = C(y);
        CheckRows(g, rows); CheckRows(u, rows); CheckRows(cy, rows);
        ElementwiseKernels.SwiGlu(_isa, g.Data, u.Data, cy.Data, (long)rows * g.Columns);
    }

    public void SwiGluOai(Tensor gate, Tensor up, Tensor y, int rows, float alpha, float limit)
    {
        var g = C(gate); var u = C(up); var cy = C(y);
        CheckRows(g, rows); CheckRows(u, rows); CheckRows(cy, rows);
        ElementwiseKernels.SwiGluOai(_isa, g.Data, u.Data, cy.Data, (long)rows * g.Columns, alpha, limit);
    }

    public void GeGlu(Tensor gate, Tensor up, Tensor y, int rows)
    {
        var g = C(gate); var u = C(up); var cy = C(y);
        CheckRows(g, rows); CheckRows(u, rows); CheckRows(cy, rows);
        ElementwiseKernels.GeGlu(_isa, g.Data, u.Data, cy.Data, (long)rows * g.Columns);
    }

    public void Scale(Tensor x, float factor, int rows)
    {
        var cx = C(x);
        CheckRows(cx, rows);
        ElementwiseKernels.Scale(cx.Data, factor, (long)rows * cx.Columns);
    }

    public void Softcap(Tensor x, float cap, int rows)
    {
        var cx = C(x);
        CheckRows(cx, rows);
        if (!(cap > 0)) throw new ArgumentOutOfRangeException(nameof(cap), "softcap must be positive");
        ElementwiseKernels.Softcap(cx.Data, cap, (long)rows * cx.Columns);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddScaledRows(Tensor source, ReadOnlySpan<int> rowIndices, ReadOnlySpan<float> factors, Tensor destination)
    {
        var s = C(source); var d = C(destination);
        if (s.Columns != d.Columns || factors.Length < rowIndices.Length) throw new ArgumentException("add-scaled-rows shape mismatch");
        CheckRows(s, rowIndices.Length);
        for (int i = 0; i < rowIndices.Length; i++)
        {
            CheckRows(d, rowIndices[i] + 1);
            Axpy.Run(_isa, factors[i], s.Row(i), d.Row(rowIndices[i]), s.Columns);
        }
    }

    public void Add(Tensor a, Tensor b, Tensor y, int rows)
    {
        var ca = C(a); var cb = C(b); var cy = C(y);
        CheckRows(ca, rows); CheckRows(cb, rows); CheckRows(cy, rows);
        ElementwiseKernels.Add(ca.Data, cb.Data, cy.Data, (long)rows * ca.Columns);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void GatherRows(Tensor source, ReadOnlySpan<int> rowIndices, Tensor destination)
    {
        var s = C(source); var d = C(destination);
        CheckRows(d, rowIndices.Length);
        for (int i = 0; i < rowIndices.Length; i++)
        {
            CheckRows(s, rowIndices[i] + 1);
            s.RowSpan(rowIndices[i]).CopyTo(d.RowSpan(i));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void WriteKv(Tensor k, Tensor v, Tensor kCache, Tensor vCache, ReadOnlySpan<int> slots, int rows)
    {
        if (kCache is CpuKvTensor pk && vCache is CpuKvTensor pv)
        {
            WritePackedKv(C(k), C(v), pk, pv, slots, rows);
            return;
        }
        var ck = C(k); var cv = C(v); var kc = C(kCache); var vc = C(vCache);
        for (int t = 0; t < rows; t++)
        {
            if ((uint)slots[t] >= (uint)kc.Rows) throw new ArgumentOutOfRangeException(nameof(slots), $"KV slot {slots[t]} is outside the cache ({kc.Rows} slots)");
            ck.RowSpan(t).CopyTo(kc.RowSpan(slots[t]));
            cv.RowSpan(t).CopyTo(vc.RowSpan(slots[t]));
        }
    }

    /// <summary>Quantises each token's K and V rows into its slot (F16 / Q8_0 / Q4_0 cache).</summary>
    private static void WritePackedKv(CpuTensor k, CpuTensor v, CpuKvTensor kc, CpuKvTensor vc, ReadOnlySpan<int> slots, int rows)
    {
        if (k.Columns != kc.Columns || v.Columns != vc.Columns) throw new ArgumentException("KV width mismatch");
        for (int t = 0; t < rows; t++)
        {
            if ((uint)slots[t] >= (uint)kc.Rows) throw new ArgumentOutOfRangeException(nameof(slots), $"KV slot {slots[t]} is outside the cache ({kc.Rows} slots)");
            KvRowCodec.Encode(kc.Type, k.Row(t), k.Columns, kc.Row(slots[t]));
            KvRowCodec.Encode(vc.Type, v.Row(t), v.Columns, vc.Row(slots[t]));
        }
    }

    public void PagedAttention(Tensor q, Tensor kCache, Tensor vCache, Tensor output, AttentionParameters attention, int rows)
    {
        if (kCache is CpuKvTensor pk && vCache is CpuKvTensor pv)
            _packedAttention.Run(C(q), pk, pv, C(output), attention, rows);
        else
            _attention.Run(C(q), C(kCache), C(vCache), C(output), attention, rows);
    }

    public void EncoderAttention(Tensor q, Tensor k, Tensor v, Tensor output, AttentionParameters attention, ReadOnlySpan<int> lengths) =>
        _encoderAttention.Run(C(q), C(k), C(v), C(output), attention, lengths);

    public void CopyRows(Tensor tensor, int sourceRow, int destinationRow, int count)
    {
        if (tensor is CpuKvTensor packed)
        {
            CheckRows(packed, sourceRow + count); CheckRows(packed, destinationRow + count);
            long bytes = count * packed.RowBytes;
            Buffer.MemoryCopy(packed.Row(sourceRow), packed.Row(destinationRow), bytes, bytes);
            return;
        }
        var c = C(tensor);
        CheckRows(c, sourceRow + count); CheckRows(c, destinationRow + count);
        new ReadOnlySpan<float>(c.Row(sourceRow), count * c.Columns).CopyTo(new Span<float>(c.Row(destinationRow), count * c.Columns));
    }

    public void Dispose()
    {
        _pool.Dispose();
        _matmul.Dispose();
        _grouped.Dispose();
        _attention.Dispose();
        _packedAttention.Dispose();
        _encoderAttention.Dispose();
        _ropeCache.Dispose();
        lock (_ownedWeights)
        {
            foreach (var w in _ownedWeights) w.Dispose();
            _ownedWeights.Clear();
        }
    }
}
