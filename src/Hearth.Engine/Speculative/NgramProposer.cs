using System.Runtime.InteropServices;

namespace Hearth.Engine.Speculative;

/// <summary>Prompt lookup (n-gram) drafts: the sequence's last n tokens (n from max down to min) are searched for
/// earlier in its own tokens (prompt and output); the k tokens that followed the most recent occurrence of the longest
/// n-gram that has k tokens after it are the drafts (else the fewer that followed the longest n-gram's most recent one). No model, no state: a point-mass proposal.</summary>
internal sealed class NgramProposer(int minN, int maxN) : IDraftProposer
{
    public string Method => "ngram";

    public void Propose(IReadOnlyList<(Sequence Sequence, int MaxDrafts)> wanted, IReadOnlyList<Sequence> running)
    {
        foreach (var (seq, k) in wanted)
            seq.Speculation!.Drafts = Lookup(CollectionsMarshal.AsSpan(seq.Tokens), k, minN, maxN);
    }

    internal static int[] Lookup(ReadOnlySpan<int> tokens, int k, int minN, int maxN)
    {
        int n = tokens.Length, partial = -1;
        for (int size = Math.Min(maxN, n - 1); size >= minN; size--)
        {
            var suffix = tokens[(n - size)..];
            for (int i = n - size - 1; i >= 0; i--)
            {
                if (tokens[i] != suffix[0] || !tokens.Slice(i, size).SequenceEqual(suffix)) continue;
                int from = i + size;
                if (n - from >= k) return tokens.Slice(from, k).ToArray();
                if (partial < 0) partial = from; // the longest n-gram's most recent match, if no full one turns up
            }
        }
        return partial < 0 ? [] : tokens.Slice(partial, Math.Min(k, n - partial)).ToArray();
    }
}
