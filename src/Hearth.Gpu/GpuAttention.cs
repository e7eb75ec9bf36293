using Hearth.Core.Tensors;
using Hearth.Gpu.Kernels;

namespace Hearth.Gpu;

/// <summary>Host side of paged attention: validates the addressing, flattens the block tables, splits the batch into
/// decode tokens (a sequence with one token here: the split-over-sequence kernel) and prefill runs (consecutive tokens of
/// one sequence, cut into tiles of one warp per token: the tiled kernel), and launches both.</summary>
internal sealed class GpuAttention : IDisposable
{
    private readonly KernelSet _k;
    private readonly DeviceInts _positions, _tokenSequence, _tables, _decodeTokens, _tileStart, _tileCount, _tileMax;
    private readonly DeviceScratch<float> _partialAcc, _partialMax, _partialSum;
    private int[] _flatTables = [], _decode = [], _starts = [], _counts = [], _maxima = [], _sequenceMax = [];

    /// <param name="splitSize">Positions per split of the decode kernel (a split is one warp's work).</param>
    public GpuAttention(KernelSet kernels, int splitSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(splitSize, 1);
        _k = kernels;
        SplitSize = splitSize;
        var d = kernels.Device;
        _positions = new(d); _tokenSequence = new(d); _tables = new(d); _decodeTokens = new(d);
        _tileStart = new(d); _tileCount = new(d); _tileMax = new(d);
        _partialAcc = new(d); _partialMax = new(d); _partialSum = new(d);
    }

    public int SplitSize { get; }

    public void Run(GpuTensor q, GpuTensor kCache, GpuTensor vCache, GpuTensor output, AttentionParameters a, int rows)
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
        };
        var positions = _positions.Upload(a.Positions[..rows]);
        var tokenSequence = _tokenSequence.Upload(a.TokenSequence[..rows]);
        var tables = _tables.Upload(_flatTables.AsSpan(0, Math.Max(1, a.Batch.SequenceCount * stride)));
        var (decodeCount, tileCount, maxDecodePosition) = Partition(a, rows);

        if (tileCount > 0)
        {
            int warps = _k.Device.WarpsPerGroup, warp = _k.Device.WarpSize;
            var config = new ILGPU.KernelConfig(new ILGPU.Index1D(tileCount * a.HeadCount), new ILGPU.Index1D(warps * warp),
                ILGPU.SharedMemoryConfig.RequestDynamic<float>((2 * warp + warps) * a.HeadDim));
            _k.PrefillTiled(_k.Stream, config, q.View, kCache.View, vCache.View, _tileStart.Upload(_starts.AsSpan(0, tileCount)),
                _tileCount.Upload(_counts.AsSpan(0, tileCount)), _tileMax.Upload(_maxima.AsSpan(0, tileCount)),
                positions, tokenSequence, tables, shape, output.View);
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
                tokenSequence, tables, shape, acc.View, max.View, sum.View);
            _k.DecodeCombine(_k.Stream, _k.PerWarp(decodeCount * a.HeadCount, 0), acc.View, max.View, sum.View, tokens, shape, output.View);
        }
    }

    /// <summary>Checks every token's addressing on the host (a bad block id would be a silent out-of-bounds read on a GPU):
    /// each sequence's table must cover its tokens' largest position with blocks inside the cache. Returns the table
    /// stride (the longest table).</summary>
    private int Validate(AttentionParameters a, int rows, int cacheRows)
    {
        if (a.Positions.Length < rows || a.TokenSequence.Length < rows)
            throw new ArgumentException($"attention parameters describe fewer than {rows} tokens");
        int sequences = a.Batch.SequenceCount;
        if (_sequenceMax.Length < sequences) _sequenceMax = new int[sequences * 2];
        Array.Fill(_sequenceMax, -1, 0, sequences);
        for (int t = 0; t < rows; t++)
        {
            int seq = a.TokenSequence[t], pos = a.Positions[t];
            if ((uint)seq >= (uint)sequences)
                throw new ArgumentException($"token {t} names sequence {seq}, which has no block table");
            if (pos < 0) throw new ArgumentException($"token {t} has negative position {pos}");
            _sequenceMax[seq] = Math.Max(_sequenceMax[seq], pos);
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
            for (int b = 0; b <= max / a.BlockSize; b++)
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

    /// <summary>Runs of consecutive tokens of one sequence: length 1 → decode list; longer → tiles of WarpsPerGroup tokens.</summary>
    private (int Decode, int Tiles, int MaxDecodePosition) Partition(AttentionParameters a, int rows)
    {
        int perTile = _k.Device.WarpsPerGroup;
        if (_decode.Length < rows) _decode = new int[rows];
        int maxTiles = rows;
        if (_starts.Length < maxTiles) { _starts = new int[maxTiles]; _counts = new int[maxTiles]; _maxima = new int[maxTiles]; }
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
                    int count = Math.Min(perTile, end - s), max = 0;
                    for (int i = s; i < s + count; i++) max = Math.Max(max, a.Positions[i]);
                    (_starts[tiles], _counts[tiles], _maxima[tiles]) = (s, count, max);
                    tiles++;
                }
            t = end;
        }
        return (decode, tiles, maxDecode);
    }

    public void Dispose()
    {
        foreach (var d in new IDisposable[] { _positions, _tokenSequence, _tables, _decodeTokens, _tileStart, _tileCount, _tileMax,
                     _partialAcc, _partialMax, _partialSum })
            d.Dispose();
    }
}
