using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Cpu.Kernels;
using Hearth.Cpu.Packed;

namespace Hearth.Cpu;

/// <summary>y[t, n] = x[t, :] · w[n, :] for every weight type. Phase 1 converts the activation rows to the
/// weight's vec-dot type (in parallel over rows); phase 2 splits the weight rows into chunks across threads,
/// and each weight row is read once and dotted with all T activation rows while it is in L1.</summary>
internal sealed unsafe class MatMulKernel : IParallelJob, IDisposable
{
    private readonly CpuThreadPool _pool;
    private readonly NativeBuffer _act = new();
    private readonly NativeBuffer[] _rowScratch;
    private Weight _w = null!;
    private float* _x, _y;
    private int _t, _n, _k, _chunkRows;
    private bool _quantizePhase;
    // Prepared activations.
    private float* _xf;
    private sbyte* _xq;
    private float* _xd;
    private int* _xbs;
    private float* _xp; // F16 decode: the activation prepared by F16Decode.Prepare
    private ushort* _xw; // BF16 on the emitted BF16 tile: the activation's BF16 words
    private bool _bf16Tile;
    private PackedWeight? _packed;
    private CompactBF16Weight? _compact;
    private GroupedHalfWeight? _grouped;
    private PackedActivation _xPacked;

    private readonly CpuIsa _isa;

    public MatMulKernel(CpuThreadPool pool, CpuIsa isa)
    {
        _pool = pool;
        _isa = isa;
        _rowScratch = new NativeBuffer[pool.ThreadCount];
        for (int i = 0; i < _rowScratch.Length; i++) _rowScratch[i] = new NativeBuffer();
    }

    /// <summary>Multiply-adds below which a matmul runs on the calling thread: waking the pool costs more than such a
    /// product (LoRA's rank-r matrices on a few rows, ~100 µs of work at most), and far more when the machine is busy.</summary>
    private const long InlineWork = 1 << 20;
    private bool _inline;

    public void Run(float* x, Weight w, float* y, int rows)
    {
        if (rows == 0) return;
        _w = w; _x = x; _y = y; _t = rows; _n = w.Rows; _k = w.Columns;
        _inline = (long)_n * _k * rows <= InlineWork;
        long k = _k;
        _packed = _isa.UsePacked ? w as PackedWeight : null;
        // A compact copy ordered for the BF16 tile on a backend without it (tests mixing rungs) reads the file's rows.
        _compact = _isa.Use512 && w is CompactBF16Weight { WordOrder: false } c ? c : null;
        _grouped = F16Decode.Available(_isa) ? w as GroupedHalfWeight : null;
        _bf16Tile = BF16PanelGemm.Supports(_isa, w.Type);
        if (_packed != null)
        {
            // The packed kernels' tile layout: interleaved int8 values, then per block a token scale and a correction.
            _xPacked = PackedActivation.At(_packed, _act.Ensure(PackedActivation.Bytes(_packed, rows)), rows);
        }
        else
        {
            switch (w.Type)
            {
                case GgmlType.F32:
                    _xf = x;
                    break;
                case GgmlType.F16:
                case GgmlType.BF16:
                    _xf = (float*)_act.Ensure(rows * k * 4 + k * 4 + rows * k * 2);
                    _xp = _xf + rows * k;
                    _xw = (ushort*)(_xp + k);
                    break;
                case GgmlType.Q8_0:
                case GgmlType.Q4_0:
                case GgmlType.Q5_0:
                    _xq = (sbyte*)_act.Ensure(rows * k + rows * (k / 32) * 4);
                    _xd = (float*)(_xq + rows * k);
                    break;
                case GgmlType.Q4_K:
                case GgmlType.Q6_K:
                    _xq = (sbyte*)_act.Ensure(rows * k + rows * (k / 256) * 4 + rows * (k / 16) * 4);
                    _xd = (float*)(_xq + rows * k);
                    _xbs = (int*)(_xd + rows * (k / 256));
                    break;
                default:
                    // Formats without an integer row kernel (used where they have no packed layout): each weight row is
                    // dequantized exactly and dotted in F32 with the unrounded activations.
                    if (!RowDequantizer.Supports(w.Type))
                        throw new NotSupportedException($"weight '{w.Name}' has type {w.Type}, which the CPU matmul does not support");
                    _xf = x;
                    break;
            }
        }
        if (w.Type != GgmlType.F32 && (_packed != null || !DequantizesRows(w.Type)))
        {
            _quantizePhase = true;
            Dispatch(rows);
        }
        _quantizePhase = false;
        if (_packed != null)
        {
            // Chunks of whole 2-group tiles for the packed kernels.
            int groups = _packed.Groups;
            _chunkRows = PackedGemm.ChunkRows(groups, _pool.ThreadCount);
            Dispatch((groups * PackedWeight.GroupRows + _chunkRows - 1) / _chunkRows);
            return;
        }
        // Enough chunks to balance threads, but at least 4 weight rows each so tiles stay whole.
        int threads = _pool.ThreadCount;
        _chunkRows = (Math.Max(4, (_n + threads * 8 - 1) / (threads * 8)) + 3) & ~3;
        // The AVX2 panel kernel's tiles are 3 rows: chunks of whole tiles (a multiple of 12) leave no narrow edge tiles.
        if (FloatPanelGemm256.Supports(_isa, w.Type)) _chunkRows = (_chunkRows + 11) / 12 * 12;
        Dispatch((_n + _chunkRows - 1) / _chunkRows);
    }

    private void Dispatch(int chunks)
    {
        if (!_inline)
        {
            _pool.Run(this, chunks);
            return;
        }
        for (int c = 0; c < chunks; c++) Execute(c, 0);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int chunk, int thread)
    {
        if (_quantizePhase) { Quantize(chunk, thread); return; }
        int n0 = chunk * _chunkRows, n1 = Math.Min(_n, n0 + _chunkRows);
        if (_packed != null) { _xPacked.Tiles(_packed, n0, n1, _y, _n); return; }
        if (_bf16Tile)
        {
            ushort* panel = (ushort*)_rowScratch[thread].Ensure(BF16PanelGemm.PanelValues * 2L);
            BF16PanelGemm.Rows(_w.Data, _w.RowBytes, n0, n1, _k, _xw, _xf, _t, _y, _n, panel, _w as IWidensRows);
            return;
        }
        if (_compact != null || _grouped != null) { CopyRows(n0, n1, thread); return; }
        // F32 on AVX-512 takes the panel kernel at one token too: a decode step then gives a batch's bits (F16 and
        // BF16 have their own decode kernel in the same order, below).
        if (FloatPanelGemm.Supports(_isa, _w.Type) && (_t > 1 || _w.Type == GgmlType.F32))
        {
            FloatPanelGemm.Rows(_isa, _w.Type, _w.Data, _w.RowBytes, n0, n1, _k, _xf, _t, _y, _n, Panel(thread));
            return;
        }
        if (_t > 1 && FloatPanelGemm256.Supports(_isa, _w.Type))
        {
            float* panel = (float*)_rowScratch[thread].Ensure(FloatPanelGemm256.RowTile * 4L * FloatPanelGemm256.ColumnBlock);
            FloatPanelGemm256.Rows(_w.Type, _w.Data, _w.RowBytes, n0, n1, _k, _xf, _t, _y, _n, panel);
            return;
        }
        if (_t == 1 && FloatPanelGemm256.Supports(_isa, _w.Type))
        {
            FloatPanelGemm256.Decode(_w.Type, _w.Data, _w.RowBytes, n0, n1, _k, _xf, _y);
            return;
        }
        if (_t == 1 && F16Decode.Available(_isa) && _w.Type == GgmlType.F16) { HalfDecodeRows<F16Widening>(n0, n1, thread); return; }
        if (_t == 1 && F16Decode.Available(_isa) && _w.Type == GgmlType.BF16) { HalfDecodeRows<BF16Widening>(n0, n1, thread); return; }
        for (int n = n0; n < n1; n++) Row(n, thread);
    }

    private void Quantize(int t, int thread)
    {
        long k = _k;
        float* x = _x + t * k;
        if (_packed != null) { _xPacked.Quantize(_isa, _packed, x, t, _rowScratch[thread]); return; }
        switch (_w.Type)
        {
            case GgmlType.F16:
                // The AVX2 float kernels widen F16 weights scaled by 2^-112; the activation carries the inverse.
                QuantizeActivations.RoundF16(_isa, x, _k, _xf + t * k, FloatPanelGemm256.Supports(_isa, GgmlType.F16) ? FloatPanelGemm256.Prescale : 1f);
                if (_t == 1 && F16Decode.Available(_isa)) F16Decode.Prepare<F16Widening>(_xf, _k, _xp);
                break;
            case GgmlType.BF16:
                QuantizeActivations.RoundBF16(_isa, x, _k, _xf + t * k);
                if (_bf16Tile) BF16PanelGemm.Words(_xf + t * k, _k, _xw + t * k);
                break;
            case GgmlType.Q8_0:
            case GgmlType.Q4_0:
            case GgmlType.Q5_0: QuantizeActivations.Q8_0(_isa, x, _k, _xq + t * k, _xd + t * (k / 32)); break;
            default: QuantizeActivations.Q8_K(_isa, x, _k, _xq + t * k, _xd + t * (k / 256), _xbs + t * (k / 16)); break;
        }
    }

    /// <summary>F16 / BF16 decode on AVX-512: four rows at a time in the panel kernel's order (<see cref="F16Decode"/>),
    /// the chunk's last rows through the panel kernel itself, as a batch's rows are, so decode gives a batch's bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void HalfDecodeRows<TH>(int n0, int n1, int thread) where TH : struct, IHalfWidening
    {
        int n = n0;
        float* xp = TH.Prescale == 1f ? _xf : _xp; // BF16 takes the rounded activation as it is
        for (; n + FloatPanelGemm.RowTile <= n1; n += FloatPanelGemm.RowTile)
            F16Decode.Rows4<TH>((ushort*)_w.Row(n), _w.RowBytes / 2, _k, xp, _xf, _y + n);
        if (n < n1) FloatPanelGemm.Rows(_isa, _w.Type, _w.Data, _w.RowBytes, n, n1, _k, _xf, 1, _y, _n, Panel(thread));
    }

    /// <summary>The backend's own copy of an F16/BF16 weight (<see cref="CompactBF16Weight"/>, <see cref="GroupedHalfWeight"/>):
    /// a batch through the panel kernel widening the copy's blocks; decode four rows at a time in the panel kernel's
    /// order, the chunk's last rows through the panel kernel.</summary>
    private void CopyRows(int n0, int n1, int thread)
    {
        int n = n0;
        if (_t == 1)
            for (; n + FloatPanelGemm.RowTile <= n1; n += FloatPanelGemm.RowTile) DecodeCopyRows4(n);
        if (n < n1) FloatPanelGemm.Rows(_isa, _w.Type, _w.Data, _w.RowBytes, n, n1, _k, _xf, _t, _y, _n, Panel(thread), _compact ?? (IWidensRows?)_grouped);
    }

    private void DecodeCopyRows4(int n)
    {
        if (_compact != null)
        {
            if (Avx512Vbmi.IsSupported) CompactBF16Decode.Rows4<CompactBF16Decode.PermuteLookup>(_compact, n, _xf, _y + n);
            else CompactBF16Decode.Rows4<CompactBF16Decode.ShuffleLookup>(_compact, n, _xf, _y + n);
        }
        else if (_w.Type == GgmlType.F16) F16Decode.GroupRows4<F16Widening>(_grouped!, n, _xp, _y + n);
        else F16Decode.GroupRows4<BF16Widening>(_grouped!, n, _xf, _y + n); // BF16 takes the rounded activation as it is
    }

    /// <summary>The thread's scratch for <see cref="FloatPanelGemm"/>'s widened rows.</summary>
    private float* Panel(int thread) => (float*)_rowScratch[thread].Ensure(FloatPanelGemm.RowTile * 4L * FloatPanelGemm.ColumnBlock);

    /// <summary>Types whose unpacked rows take the dequantize-then-F32 path of <see cref="Row"/>.</summary>
    private static bool DequantizesRows(GgmlType type) => type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16
        or GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q4_K or GgmlType.Q6_K);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Row(int n, int thread)
    {
        byte* row = _w.Row(n);
        float* y = _y + n;
        int k = _k;
        switch (_w.Type)
        {
            case GgmlType.F32:
                for (int t = 0; t < _t; t++) y[(long)t * _n] = DotF32.Dot(_isa, (float*)row, _x + (long)t * k, k);
                break;
            case GgmlType.F16:
                DotF16.Dot(_isa, (ushort*)row, k, _xf, _t, y, _n);
                break;
            case GgmlType.BF16:
            {
                float* wf = (float*)_rowScratch[thread].Ensure(k * 4L);
                for (int i = 0; i < k; i++) wf[i] = BitConverter.UInt32BitsToSingle((uint)((ushort*)row)[i] << 16);
                for (int t = 0; t < _t; t++) y[(long)t * _n] = DotF32.Dot(_isa, wf, _xf + (long)t * k, k);
                break;
            }
            case GgmlType.Q8_0:
            {
                int nb = k / 32;
                // Whole 4-token tiles through the tile kernel; the rest (all of decode) through the one-pass
                // decode kernel, which reads the row while converting its scales.
                int tiled = DotQ8Decode.Available(_isa) ? _t & ~3 : _t;
                if (tiled > 0)
                {
                    float* wd = (float*)_rowScratch[thread].Ensure(nb * 4L);
                    QuantBlocks.Q8_0Scales(row, nb, wd);
                    DotQ8.Dot(_isa, (sbyte*)(row + 2), QuantBlocks.Q8_0Bytes, wd, nb, _xq, _xd, tiled, y, _n);
                }
                for (int t = tiled; t < _t; t++)
                    y[(long)t * _n] = DotQ8Decode.Dot(_isa, row, nb, _xq + (long)t * k, _xd + (long)t * nb);
                break;
            }
            case GgmlType.Q4_0:
            case GgmlType.Q5_0:
            {
                int nb = k / 32;
                sbyte* q = (sbyte*)_rowScratch[thread].Ensure(k + nb * 4L);
                float* wd = (float*)(q + k);
                if (_w.Type == GgmlType.Q4_0) QuantBlocks.Q4_0(row, nb, q, wd);
                else QuantBlocks.Q5_0(row, nb, q, wd);
                DotQ8.Dot(_isa, q, 32, wd, nb, _xq, _xd, _t, y, _n);
                break;
            }
            case GgmlType.Q4_K:
                KQuantDot.Q4_K(_isa, row, k, _rowScratch[thread], _xq, _xd, _xbs, _t, y, _n);
                break;
            case GgmlType.Q6_K:
                KQuantDot.Q6_K(_isa, row, k, _rowScratch[thread], _xq, _xd, _t, y, _n);
                break;
            default:
            {
                float* wf = (float*)_rowScratch[thread].Ensure(k * 4L);
                RowDequantizer.Dequantize(_w.Type, row, k, wf);
                for (int t = 0; t < _t; t++) y[(long)t * _n] = DotF32.Dot(_isa, wf, _x + (long)t * k, k);
                break;
            }
        }
    }

    public void Dispose()
    {
        _act.Dispose();
        foreach (var b in _rowScratch) b.Dispose();
    }
}
