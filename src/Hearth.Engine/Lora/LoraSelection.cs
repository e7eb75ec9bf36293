using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace Hearth.Engine.Lora;

/// <summary>One adapter applied to a request at a scale (llama-server's <c>lora: [{id, scale}]</c> entry).</summary>
public readonly record struct LoraUse(LoraAdapter Adapter, float Scale);

/// <summary>The adapters a request runs with (usually one). Its <see cref="HashRoot"/> seeds the request's prefix-cache
/// hash chain, so KV computed under one selection is never reused under another (adapters change K and V); the bare
/// base model (no adapter, or only zero scales) keeps <see cref="PrefixHashes.Root"/>.</summary>
public sealed class LoraSelection
{
    public LoraSelection(IReadOnlyList<LoraUse> uses)
    {
        foreach (var u in uses)
            if (!float.IsFinite(u.Scale)) throw new ArgumentException($"adapter '{u.Adapter.Name}' has a scale that is not a finite number");
        Uses = uses;
        ulong root = PrefixHashes.Root;
        foreach (var u in uses)
        {
            if (u.Scale == 0) continue;
            Span<ulong> key = [u.Adapter.Identity, BitConverter.SingleToUInt32Bits(u.Scale)];
            root = XxHash64.HashToUInt64(MemoryMarshal.AsBytes(key), unchecked((long)root));
        }
        HashRoot = root;
    }

    /// <summary>One adapter at a scale.</summary>
    public static LoraSelection Of(LoraAdapter adapter, float scale = 1f) => new([new LoraUse(adapter, scale)]);

    public IReadOnlyList<LoraUse> Uses { get; }

    /// <summary>Parent hash of the first prefix-cache block of a request with this selection.</summary>
    public ulong HashRoot { get; }

    /// <summary>Takes a reference on every adapter (they stay loaded until <see cref="Release"/>); false, with nothing
    /// taken, when one has been unloaded in the meantime.</summary>
    public bool TryAcquire()
    {
        for (int i = 0; i < Uses.Count; i++)
        {
            if (Uses[i].Adapter.TryAcquire()) continue;
            for (int j = 0; j < i; j++) Uses[j].Adapter.Release();
            return false;
        }
        return true;
    }

    public void Release()
    {
        foreach (var u in Uses) u.Adapter.Release();
    }

    public override string ToString() => string.Join("+", Uses.Select(u => u.Scale == 1f ? u.Adapter.Name : $"{u.Adapter.Name}*{u.Scale}"));
}
