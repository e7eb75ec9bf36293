using Hearth.Router.Routing;

namespace Hearth.Router.KvRouting;

/// <summary>One kv-aware routing decision: the prompt's block hashes and where to find each replica's index in;
/// the pick fills in how many leading blocks the chosen replica holds.</summary>
public sealed class CacheAwareChoice(IReadOnlyList<ulong> promptHashes, Func<UpstreamState, ReplicaPrefixIndex?> indexOf)
{
    /// <summary>Above this KV-cache usage a replica is treated as under memory pressure (it would evict or preempt).</summary>
    public const double KvPressure = 0.95;

    public IReadOnlyList<ulong> PromptHashes { get; } = promptHashes;

    /// <summary>Leading prompt blocks cached on the replica picked (0 when the pick fell back).</summary>
    public int MatchedBlocks { get; private set; }

    /// <summary>True when some replica's events were live for this decision (false: it was a least-outstanding pick).</summary>
    public bool AnyLive { get; private set; }

    /// <summary>The estimated cost of sending the request to <paramref name="replica"/>, in blocks of prefill: the
    /// blocks it would compute, plus <paramref name="loadWeight"/> × the prompt's blocks for every request it runs or
    /// queues (what this router has in flight there, or what the replica last reported, whichever is more), plus
    /// the prompt's blocks again when its KV cache is nearly full. A replica whose events are not live counts as
    /// holding nothing, with only this router's requests as its load; so with no live replica the cheapest is the
    /// least outstanding one.</summary>
    internal (double Cost, int Matched) Score(UpstreamState replica, double loadWeight, long nowMs)
    {
        var total = PromptHashes.Count;
        var weight = loadWeight * Math.Max(total, 1);
        if (indexOf(replica) is not { } index || !index.IsLive(nowMs)) return (total + weight * replica.Outstanding, 0);
        AnyLive = true;
        var matched = index.MatchedBlocks(PromptHashes);
        var load = Math.Max(replica.Outstanding, index.Running + index.Waiting);
        return ((total - matched) + weight * load + (index.KvUsage > KvPressure ? total : 0), matched);
    }

    internal void Chose(int matched) => MatchedBlocks = matched;
}
