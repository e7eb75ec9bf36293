using Hearth.Core.Tensors;
using Hearth.Gpu.Kernels;
using ILGPU.Runtime;

namespace Hearth.Gpu;

/// <summary>Host side of paged attention: validates the addressing, flattens the block tables, splits the batch into
/// decode tokens (a sequence with one token here: the split-over-sequence kernel) and prefill runs (consecutive tokens of
/// one sequence, cut into tiles of one warp per token: the tiled kernel), and launches both. Sink logits (copied on the
/// device from their weight) and ALiBi slopes go to the kernels in one per-head float array.</summary>
internal sealed class GpuAttention : IDisposable
{
    private readonly KernelSet _k;
    private readonly DeviceInts _positions, _tokenSequence, _tables, _decodeTokens, _tiles;
    private readonly DeviceScratch<float> _partialAcc, _partialMax, _partialSum, _extras;
    private readonly DeviceFloats _slopes;
    private int[] _flatTables = [], _decode = [], _tileInfo = [], _sequenceMax = [], _sequenceMin = [], _positionsAndQueries = [];

    /// <param name="splitSize">Positions per split of the decode kernel (a split is one warp's work).</param>
    public GpuAttention(KernelSet kernels, int splitSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(splitSize, 1);
        _k = kernels;
        SplitSize = splitSize;
        var d = kernels.Device;
        _positions = new(d); _tokenSequence = new(d); _tables = new(d); _decodeTokens = new(d); _tiles = new(d);
        _partialAcc = new(d); _partialMax = new(d); _partialSum = new(d); _extras = new(d); _slopes = new(d);
    }

    public int SplitSize { get; }

    public void Run(GpuTensor q, GpuTensor kCache, GpuTensor vCache, GpuTensor output, AttentionParameters a, int rows, GpuWeight? sinks)
    {
        if (a.HeadCount % a.KvHeadCount != 0)
            throw new ArgumentException($"head count {a.HeadCount} is not a multiple of KV head count {a.KvHeadCount}");
        if (q.Columns != a.HeadCount * a.HeadDim || output.Columns != q.Columns || kCache.Columns != a.KvHeadCount * a.HeadDim)
            throw new ArgumentException("attention tensor widths do not match the head geometry");
        if (rows == 0) return;
        int stride = Validate(a, rows, kCache.Rows);
        Flatten(a, stride);
        var shape = new AttentionShape
        {
            HeadCount = a.HeadCount, KvHeadCount = a.KvHeadCount, HeadDim = a.HeadDim, BlockSize = a.BlockSize,
            TableStride = stride, KvWidth = kCache.Columns, Scale = a.Scale, SplitSize = SplitSize,
            SlidingWindow = a.SlidingWindow, Softcap = a.Softcap, InverseSoftcap = a.Softcap > 0 ? 1f / a.Softcap : 0,
            HasSinks = sinks != null ? 1 : 0, HasAlibi = a.AlibiSlopes != null ? 1 : 0, QueryOffset = rows,
        };
        var extras = Extras(a, sinks);
        var positions = _positions.Upload(PositionsAndQueries(a, rows));
        var tokenSequence = _tokenSequence.Upload(a.TokenSequence[..rows]);
        var tables = _tables.Upload(_flatTables.AsSpan(0, Math.Max(1, a.Batch.SequenceCount * stride)));
        var (decodeCount, tileCount, maxDecodePosition) = Partition(a, rows);

        if (tileCount > 0)
        {
            int warps = _k.Device.WarpsPerGroup, warp = _k.Device.WarpSize;
            var config = new ILGPU.KernelConfig(new ILGPU.Index1D(tileCount * a.HeadCount), new ILGPU.Index1D(warps * warp),
                ILGPU.SharedMemoryConfig.RequestDynamic<float>((2 * warp + warps) * a.HeadDim));
            _k.PrefillTiled(_k.Stream, config, q.View, kCache.View, vCache.View, _tiles.Upload(_tileInfo.AsSpan(0, 4 * tileCount)),
                positions, tokenSequence, tables, shape, extras, output.View);
        }
        if (decodeCount > 0)
        {
            shape.Splits = maxDecodePosition / SplitSize + 1;
            int groups = decodeCount * a.HeadCount * shape.Splits;
            var tokens = _decodeTokens.Upload(_decode.AsSpan(0, decodeCount));
            var acc = _partialAcc.Ensure((long)groups * a.HeadDim);
            var max = _partialMax.Ensure(groups);
            var sum = _partialSum.Ensure(groups);
            _k.DecodePartial(_k.Stream, _k.PerWarp(groups, a.HeadDim), q.View, kCache.View, vCache.View, tokens, positions,
                tokenSequence, tables, shape, extras, acc.View, max.View, sum.View);
            _k.DecodeCombine(_k.Stream, _k.PerWarp(decodeCount * a.HeadCount, 0), acc.View, max.View, sum.View, tokens, shape, extras, output.View);
        }
    }

    /// <summary>The per-head extras: sink logits at [0, heads) (a device copy from their weight), ALiBi slopes at [heads, 2·heads).</summary>
    private ILGPU.ArrayView<float> Extras(AttentionParameters a, GpuWeight? sinks)
    {
        int heads = a.HeadCount;
        ILGPU.ArrayView<float> extras = _extras.Ensure(2L * heads).View;
        if (sinks != null)
        {
            if (sinks.Format != Kernels.WeightFormat.F32 || (long)sinks.Rows * sinks.Columns < heads)
                throw new ArgumentException($"attention sinks '{sinks.Name}' must be F32 with one value per head ({heads})");
            sinks.Floats.SubView(0, heads).CopyTo(_k.Stream, extras.SubView(0, heads));
        }
        if (a.AlibiSlopes is { } slopes)
        {
            if (slopes.Length < heads) throw new ArgumentException($"{slopes.Length} ALiBi slopes for {heads} heads");
            _slopes.Upload(slopes.AsSpan(0, heads)).CopyTo(_k.Stream, extras.SubView(heads, heads));
        }
        return extras;
    }

    /// <summary>The tokens' positions, followed with ALiBi by their query positions (the kernels read them at rows + t).</summary>
    private ReadOnlySpan<int> PositionsAndQueries(AttentionParameters a, int rows)
    {
        if (a.AlibiSlopes is null) return a.Positions[..rows];
        if (a.QueryPositions.Length < rows) throw new ArgumentException($"ALiBi needs a query position for each of {rows} tokens");
        if (_positionsAndQueries.Length < 2 * rows) _positionsAndQueries = new int[4 * rows];
        a.Positions[..rows].CopyTo(_positionsAndQueries);
        a.QueryPositions[..rows].CopyTo(_positionsAndQueries.AsSpan(rows));
        return _positionsAndQueries.AsSpan(0, 2 * rows);
    }

    /// <summary>Checks every token's addressing on the host (a bad block id would be a silent out-of-bounds read on a GPU):
    /// each sequence's table must cover its tokens' visible positions with blocks inside the cache. Returns the table
    /// stride (the longest table).</summary>
    private int Validate(AttentionParameters a, int rows, int cacheRows)
    {
        if (a.Positions.Length < rows || a.TokenSequence.Length < rows)
            throw new ArgumentException($"attention parameters describe fewer than {rows} tokens");
        int sequences = a.Batch.SequenceCount;
        if (_sequenceMax.Length < sequences) { _sequenceMax = new int[sequences * 2]; _sequenceMin = new int[sequences * 2]; }
        Array.Fill(_sequenceMax, -1, 0, sequences);
        Array.Fill(_sequenceMin, int.MaxValue, 0, sequences);
        for (int t = 0; t < rows; t++)
        {
            int seq = a.TokenSequence[t], pos = a.Positions[t];
            if ((uint)seq >= (uint)sequences)
                throw new ArgumentException($"token {t} names sequence {seq}, which has no block table");
            if (pos < 0) throw new ArgumentException($"token {t} has negative position {pos}");
            _sequenceMax[seq] = Math.Max(_sequenceMax[seq], pos);
            _sequenceMin[seq] = Math.Min(_sequenceMin[seq], a.FirstVisible(pos));
        }
        int stride = 1;
        for (int s = 0; s < sequences; s++)
        {
            var table = a.Batch.BlockTable(s);
            stride = Math.Max(stride, table.Length);
            int max = _sequenceMax[s];
            if (max < 0) continue;
            if (max / a.BlockSize >= table.Length)
                throw new InvalidOperationException($"block table of {table.Length} blocks does not cover position {max}");
            // Blocks before every token's sliding window may be released (-1): the kernels never read them.
            for (int b = _sequenceMin[s] / a.BlockSize; b <= max / a.BlockSize; b++)
                if (table[b] < 0 || (long)(table[b] + 1) * a.BlockSize > cacheRows)
                    throw new ArgumentOutOfRangeException(nameof(a), $"KV block {table[b]} is outside the cache ({cacheRows} slots)");
        }
        return stride;
    }

    private void Flatten(AttentionParameters a, int stride)
    {
        int needed = Math.Max(1, a.Batch.SequenceCount * stride);
        if (_flatTables.Length < needed) _flatTables = new int[needed * 2];
        Array.Clear(_flatTables, 0, needed);
        for (int s = 0; s < a.Batch.SequenceCount; s++)
            a.Batch.BlockTable(s).CopyTo(_flatTables.AsSpan(s * stride));
    }

    /// <summary>Runs of consecutive tokens of one sequence: length 1 → decode list; longer → tiles of WarpsPerGroup tokens
    /// (first token, count, largest position, smallest first visible position).</summary>
    private (int Decode, int Tiles, int MaxDecodePosition) Partition(AttentionParameters a, int rows)
    {
        int perTile = _k.Device.WarpsPerGroup;
        if (_decode.Length < rows) _decode = new int[rows];
        if (_tileInfo.Length < 4 * rows) _tileInfo = new int[4 * rows];
        int decode = 0, tiles = 0, maxDecode = 0;
        for (int t = 0; t < rows;)
        {
            int end = t + 1;
            while (end < rows && a.TokenSequence[end] == a.TokenSequence[t]) end++;
            if (end - t == 1)
            {
                _decode[decode++] = t;
                maxDecode = Math.Max(maxDecode, a.Positions[t]);
            }
            else
                for (int s = t; s < end; s += perTile)
                {
                    int count = Math.Min(perTile, end - s), max = 0, min = int.MaxValue;
                    for (int i = s; i < s + count; i++)
                    {
                        max = Math.Max(max, a.Positions[i]);
                        min = Math.Min(min, a.FirstVisible(a.Positions[i]));
                    }
                    (_tileInfo[4 * tiles], _tileInfo[4 * tiles + 1], _tileInfo[4 * tiles + 2], _tileInfo[4 * tiles + 3]) = (s, count, max, min);
                    tiles++;
                }
            t = end;
        }
        return (decode, tiles, maxDecode);
    }

    public void Dispose()
    {
        foreach (var d in new IDisposable[] { _positions, _tokenSequence, _tables, _decodeTokens, _tiles,
                     _partialAcc, _partialMax, _partialSum, _extras, _slopes })
            d.Dispose();
    }
}
