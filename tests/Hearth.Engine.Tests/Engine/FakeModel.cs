using Hearth.Engine.Models;

namespace Hearth.Engine.Tests.Engine;

/// <summary>A deterministic stand-in for a transformer that keeps the engine honest. Its "KV cache" stores, per slot,
/// the token id and position written there; logits for a sequence are a hash of the token ids it reads back through
/// its block table for positions 0..p. So a wrong slot mapping, block table, copy-on-write or prefix-cache hit changes
/// the output (or throws when a slot holds the wrong position). With <see cref="Successor"/> the token after t
/// is t+1 (mod vocab) under greedy decoding, which makes outputs predictable.
/// With <paramref name="windows"/> it has one "layer" per entry, each reading only its sliding window (0: everything)
/// through the block table of its KV-cache group, so a block released too early (or reused while still read) fails the
/// position check, and the logits depend on every layer's window.</summary>
internal sealed class FakeModel(int vocabSize = 64, int contextLength = 512, bool successor = false, int[]? windows = null) : IForwardModel
{
    private readonly int[] _windows = windows ?? [0];
    private int _blockSize;
    private int[] _layerGroup = [0];
    private int[][] _kvToken = [[]];
    private int[][] _kvPos = [[]];

    public ModelShape Shape { get; } = new("fake", vocabSize, contextLength, (windows ?? [0]).Length, 1, 4, 8);
    public long KvBytesPerToken => 64L * _windows.Length;
    public IReadOnlyList<int> SlidingWindows => windows is null ? [] : _windows;
    /// <summary>Blocks of each KV-cache group's pool.</summary>
    public int[] GroupBlocks { get; private set; } = [];
    public bool Successor { get; } = successor;
    public int BlockCount { get; private set; }
    /// <summary>Per forward pass: (token count, needs logits) of each sequence slice.</summary>
    public List<(int Tokens, bool Logits)[]> Batches { get; } = [];
    public int BlocksCopied { get; private set; }
    public int ForwardCalls { get; private set; }
    /// <summary>Forward throws when the batch holds this token (a model failure).</summary>
    public int? PoisonToken { get; set; }
    /// <summary>Called at the start of each Forward (tests block here to hold the engine thread).</summary>
    public Action? OnForward { get; set; }
    public bool Disposed { get; private set; }

    public void AllocateKvCache(int blockCount, int blockSize) =>
        AllocateKvCache(KvCacheLayout.Single(_windows.Length, blockCount, blockSize));

    public void AllocateKvCache(KvCacheLayout layout)
    {
        BlockCount = layout.BlockCounts[0];
        GroupBlocks = layout.BlockCounts;
        _blockSize = layout.BlockSize;
        _layerGroup = layout.LayerGroup;
        for (int l = 0; l < _windows.Length; l++)
            Check(layout.GroupWindows[_layerGroup[l]] is 0 || layout.GroupWindows[_layerGroup[l]] == _windows[l], "layer in the wrong KV-cache group");
        _kvToken = layout.BlockCounts.Select(n => new int[n * _blockSize]).ToArray();
        _kvPos = layout.BlockCounts.Select(n => Enumerable.Repeat(-1, n * _blockSize).ToArray()).ToArray();
    }

    public void CopyBlocks(ReadOnlySpan<(int Source, int Destination)> pairs) => CopyBlocks(0, pairs);

    public void CopyBlocks(int group, ReadOnlySpan<(int Source, int Destination)> pairs)
    {
        foreach (var (src, dst) in pairs)
        {
            Array.Copy(_kvToken[group], src * _blockSize, _kvToken[group], dst * _blockSize, _blockSize);
            Array.Copy(_kvPos[group], src * _blockSize, _kvPos[group], dst * _blockSize, _blockSize);
            BlocksCopied++;
        }
    }

    public void Forward(ForwardBatch batch, Span<float> logits)
    {
        OnForward?.Invoke();
        lock (Batches) Batches.Add(batch.Sequences.Select(s => (s.TokenCount, s.NeedsLogits)).ToArray());
        ForwardCalls++;
        if (PoisonToken is int poison && batch.TokenIds.Contains(poison)) throw new InvalidOperationException("poisoned batch");
        int expectedStart = 0;
        Check(batch.SlotMappings.Length == _kvToken.Length, "slot mappings for the wrong number of KV-cache groups");
        foreach (var s in batch.Sequences)
        {
            Check(s.TokenStart == expectedStart, "slices are not contiguous");
            for (int g = 0; g < _kvToken.Length; g++)
            {
                Check(s.BlockTables[g].Length * _blockSize >= s.ContextLength, "block table too short");
                for (int j = 0; j < s.TokenCount; j++)
                {
                    int t = s.TokenStart + j, pos = s.ContextLength - s.TokenCount + j;
                    Check(batch.Positions[t] == pos, $"position {batch.Positions[t]} != {pos}");
                    Check(batch.SlotMappings[g][t] == Slot(s.BlockTables[g], pos), "slot mapping disagrees with the block table");
                    _kvToken[g][batch.SlotMappings[g][t]] = batch.TokenIds[t];
                    _kvPos[g][batch.SlotMappings[g][t]] = pos;
                }
            }
            expectedStart += s.TokenCount;
        }
        Check(expectedStart == batch.TokenCount, "slices do not cover the batch");
        Check(logits.Length == batch.LogitRows * vocabSize, "logits buffer has the wrong size");

        int row = 0;
        foreach (var s in batch.Sequences)
        {
            if (!s.NeedsLogits) continue;
            // One row per position of the slice's last LogitCount tokens (speculative verification wants several).
            for (int end = s.ContextLength - s.LogitCount + 1; end <= s.ContextLength; end++)
            {
                ulong h = 0x1234567UL;
                int last = 0;
                for (int l = 0; l < _windows.Length; l++)
                {
                    int g = _layerGroup[l];
                    for (int p = _windows[l] > 0 ? Math.Max(0, end - _windows[l]) : 0; p < end; p++)
                    {
                        int slot = Slot(s.BlockTables[g], p);
                        Check(_kvPos[g][slot] == p, $"KV slot {slot} of group {g} holds position {_kvPos[g][slot]}, expected {p}");
                        last = _kvToken[g][slot];
                        h = Mix(h ^ (ulong)(last + 1) * 0x9E3779B97F4A7C15UL);
                    }
                }
                var r = logits.Slice(row++ * vocabSize, vocabSize);
                for (int v = 0; v < vocabSize; v++) r[v] = (Mix(h + (ulong)v) >> 40) / (float)(1 << 24);
                if (Successor) r[(last + 1) % vocabSize] += 10f;
                if (Next?.Invoke(last) is int next && next >= 0) r[next % vocabSize] += NextBoost;
            }
        }
    }

    /// <summary>When set and non-negative, Next(t) gets <see cref="NextBoost"/> added to its logit after token t
    /// (20: it is the greedy choice; a small boost makes it likely under sampling). Tests of speculative decoding
    /// make outputs repetitive with it, so drafts get accepted.</summary>
    public Func<int, int>? Next { get; set; }
    public float NextBoost { get; set; } = 20f;

    public void Dispose() => Disposed = true;

    private int Slot(int[] table, int pos)
    {
        Check(table[pos / _blockSize] >= 0, $"position {pos} is read through a released block");
        return table[pos / _blockSize] * _blockSize + pos % _blockSize;
    }

    private static void Check(bool ok, string message)
    {
        if (!ok) throw new InvalidOperationException("fake model: " + message);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
