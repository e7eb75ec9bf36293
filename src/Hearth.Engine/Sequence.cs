using Hearth.Engine.Structured;

namespace Hearth.Engine;

/// <summary>Where a sequence is in its life.</summary>
internal enum SequenceStatus { Waiting, Running, ForkPending, Finished }

/// <summary>One completion being generated: its tokens (prompt then output), how many of them have KV in the
/// cache, and its block table. There is no prefill or decode phase: each step schedules some of
/// <c>Tokens.Count - NumComputed</c>, and when they catch up the last token's logits give the next token.</summary>
internal sealed class Sequence
{
    public Sequence(EngineRequest request, int index, Xoshiro256 rng, Detokenizer detokenizer, GrammarMatcher? grammar = null)
    {
        Grammar = grammar;
        if (grammar is not null) Mask = new ulong[grammar.MaskWords];
        Request = request;
        Index = index;
        Rng = rng;
        Detokenizer = detokenizer;
        Tokens = new List<int>(request.PromptLength + Math.Min(request.MaxTokens, 4096));
        Tokens.AddRange(request.Request.PromptTokens);
    }

    public EngineRequest Request { get; }

    /// <summary>The choice index (0..n-1).</summary>
    public int Index { get; }

    public List<int> Tokens { get; }
    public int PromptLength => Request.PromptLength;
    public int OutputLength => Tokens.Count - PromptLength;

    /// <summary>Tokens whose K/V are in the cache.</summary>
    public int NumComputed { get; set; }

    /// <summary>Physical KV blocks of the first KV-cache group, in order; covers at least NumComputed tokens (see
    /// <see cref="Kv"/>).</summary>
    public BlockTable BlockTable => _kv[0].Blocks;

    /// <summary>The sequence's share of one KV-cache group (the layers that share a sliding window, or the full-attention
    /// layers). Groups are created on first use.</summary>
    public KvTable Kv(int group)
    {
        if (group >= _kv.Length)
        {
            int old = _kv.Length;
            Array.Resize(ref _kv, group + 1);
            for (int g = old; g <= group; g++) _kv[g] = new KvTable();
        }
        return _kv[group];
    }

    private KvTable[] _kv = [new KvTable()];

    /// <summary>Parent hash of the first block: the adapter selection's, so prefixes never cross adapters.</summary>
    public ulong HashRoot => Request.Request.Lora?.HashRoot ?? PrefixHashes.Root;

    /// <summary>Chained hashes of the full blocks of <see cref="Tokens"/> (filled lazily by the BlockManager).</summary>
    public List<ulong> BlockHashes { get; } = [];

    /// <summary>Chained fingerprints of the full blocks (a second, independent hash; filled lazily for sliding-window
    /// groups, whose prefix-cache hits cannot walk the chain from the first block).</summary>
    public List<ulong> BlockFingerprints { get; } = [];

    public SequenceStatus Status { get; set; } = SequenceStatus.Waiting;
    public Xoshiro256 Rng { get; }
    public Detokenizer Detokenizer { get; }
    public FinishReason? Finish { get; set; }

    /// <summary>The output constraint's state (it has taken every output token), or null when unconstrained.</summary>
    public GrammarMatcher? Grammar { get; }

    /// <summary>The tokens the grammar allows next, filled by the runner before sampling (null when unconstrained).</summary>
    public ulong[]? Mask { get; }
    public string? StopReason { get; set; }

    /// <summary>Speculative decoding state (draft tokens for the next step, acceptance history); null when this
    /// sequence has never been offered drafts.</summary>
    public Speculative.SpeculationState? Speculation { get; set; }
}

/// <summary>A sequence's blocks in one KV-cache group: the table (an entry is <see cref="BlockPool.NullBlock"/> once the
/// group's sliding window has passed it), how many leading blocks were offered to the prefix cache, and how many
/// leading entries were released below the window.</summary>
internal sealed class KvTable
{
    public BlockTable Blocks { get; } = new();
    public int Committed { get; set; }
    public int Released { get; set; }
}
