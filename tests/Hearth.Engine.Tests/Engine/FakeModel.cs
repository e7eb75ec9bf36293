using Hearth.Engine.Models;

namespace Hearth.Engine.Tests.Engine;

/// <summary>A deterministic stand-in for a transformer that keeps the engine honest. Its "KV cache" stores, per slot,
/// the token id and position written there; logits for a sequence are a hash of the token ids it reads back through
/// its block table for positions 0..p. So a wrong slot mapping, block table, copy-on-write or prefix-cache hit changes
/// the output (or throws when a slot holds the wrong position). With <see cref="Successor"/> the token after t
/// is t+1 (mod vocab) under greedy decoding, which makes outputs predictable.</summary>
internal sealed class FakeModel(int vocabSize = 64, int contextLength = 512, bool successor = false) : IForwardModel
{
    private int _blockSize;
    private int[] _kvToken = [];
    private int[] _kvPos = [];

    public ModelShape Shape { get; } = new("fake", vocabSize, contextLength, 1, 1, 4, 8);
    public long KvBytesPerToken => 64;
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

    public void AllocateKvCache(int blockCount, int blockSize)
    {
        BlockCount = blockCount;
        _blockSize = blockSize;
        _kvToken = new int[blockCount * blockSize];
        _kvPos = Enumerable.Repeat(-1, blockCount * blockSize).ToArray();
    }

    public void CopyBlocks(ReadOnlySpan<(int Source, int Destination)> pairs)
    {
        foreach (var (src, dst) in pairs)
        {
            Array.Copy(_kvToken, src * _blockSize, _kvToken, dst * _blockSize, _blockSize);
            Array.Copy(_kvPos, src * _blockSize, _kvPos, dst * _blockSize, _blockSize);
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
        foreach (var s in batch.Sequences)
        {
            Check(s.TokenStart == expectedStart, "slices are not contiguous");
            Check(s.BlockTable.Length * _blockSize >= s.ContextLength, "block table too short");
            for (int j = 0; j < s.TokenCount; j++)
            {
                int t = s.TokenStart + j, pos = s.ContextLength - s.TokenCount + j;
                Check(batch.Positions[t] == pos, $"position {batch.Positions[t]} != {pos}");
                Check(batch.SlotMapping[t] == Slot(s.BlockTable, pos), "slot mapping disagrees with the block table");
                _kvToken[batch.SlotMapping[t]] = batch.TokenIds[t];
                _kvPos[batch.SlotMapping[t]] = pos;
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
                for (int p = 0; p < end; p++)
                {
                    int slot = Slot(s.BlockTable, p);
                    Check(_kvPos[slot] == p, $"KV slot {slot} holds position {_kvPos[slot]}, expected {p}");
                    last = _kvToken[slot];
                    h = Mix(h ^ (ulong)(last + 1) * 0x9E3779B97F4A7C15UL);
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

    private int Slot(int[] table, int pos) => table[pos / _blockSize] * _blockSize + pos % _blockSize;

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
