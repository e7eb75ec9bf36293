using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace Hearth.Engine;

/// <summary>The chained block hashes of the prefix cache. A block's hash is XxHash64 of its token ids seeded with
/// its parent block's hash, so a hash names the whole prefix up to the block's end. The function is fixed (no
/// per-process seed), so every replica of a model hashes a prefix the same way and a router can compare them.</summary>
public static class PrefixHashes
{
    /// <summary>The parent hash of a sequence's first block.</summary>
    public const ulong Root = 0x6865617274UL;

    /// <summary>Hash of one full block given its parent's hash.</summary>
    public static ulong Chain(ulong parent, ReadOnlySpan<int> tokens) =>
        XxHash64.HashToUInt64(MemoryMarshal.AsBytes(tokens), unchecked((long)parent));

    /// <summary>A second chained hash of a block, independent of <see cref="Chain"/> (another function, another root):
    /// what a sliding-window group checks a prefix-cache hit by, since it cannot walk the chain from the first block.</summary>
    public static ulong Fingerprint(ulong parent, ReadOnlySpan<int> tokens) =>
        XxHash3.HashToUInt64(MemoryMarshal.AsBytes(tokens), unchecked((long)parent));

    /// <summary>The parent fingerprint of a sequence's first block, derived from its hash root (the adapter selection).</summary>
    public static ulong FingerprintRoot(ulong hashRoot) => hashRoot ^ 0x9E3779B97F4A7C15UL;

    /// <summary>The hashes of the prompt's blocks the prefix cache could serve: the full blocks before its last
    /// token (the last token is always computed, its logits are needed). <paramref name="root"/> is the chain's start:
    /// <see cref="Root"/> for the bare model, the adapter selection's <c>LoraSelection.HashRoot</c> for a request with
    /// LoRA adapters (as its sequence seeds the chain in the block manager).</summary>
    public static ulong[] ForPrompt(ReadOnlySpan<int> prompt, int blockSize, ulong root = Root)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        var hashes = new ulong[Math.Max(0, prompt.Length - 1) / blockSize];
        ulong parent = root;
        for (int i = 0; i < hashes.Length; i++)
            parent = hashes[i] = Chain(parent, prompt.Slice(i * blockSize, blockSize));
        return hashes;
    }

    /// <summary>Lower-case hex, 16 digits: how hashes travel in JSON (a 64-bit integer does not survive every JSON reader).</summary>
    public static string ToHex(ulong hash) => hash.ToString("x16");
}
