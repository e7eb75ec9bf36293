using Hearth.Core.Gguf;
using Hearth.Core.Tensors;

namespace Hearth.Engine.Lora;

/// <summary>A loaded LoRA adapter: low-rank A/B pairs for some of a base model's matrices, bound to the base model's
/// backend (the base weights are shared, never copied). Reference counted: the registry that loaded it holds one
/// reference, each request running with it holds one more, and its weights are freed when the last is released, so
/// unloading an adapter never pulls the weights from under a request in flight.</summary>
public sealed class LoraAdapter
{
    private readonly LoraWeights?[] _table; // [layer * TargetCount + target]
    private readonly IBackend _backend;
    private readonly Weight[] _owned;
    private GgufFile? _file;
    private int _references = 1;

    internal const int TargetCount = 7;

    internal LoraAdapter(string name, string path, float alpha, ulong identity, LoraWeights?[] table, IBackend backend, Weight[] owned, GgufFile file)
    {
        Name = name;
        Path = path;
        Alpha = alpha;
        Identity = identity;
        _table = table;
        _backend = backend;
        _owned = owned;
        _file = file;
        Rank = table.Max(w => w?.Rank ?? 0);
        AdaptedMatrices = table.Count(w => w != null);
        ParameterCount = owned.Sum(w => (long)w.Rows * w.Columns);
    }

    public string Name { get; }

    /// <summary>The GGUF file it was loaded from.</summary>
    public string Path { get; }

    /// <summary><c>adapter.lora.alpha</c> (0: the scale alone, no alpha/r factor).</summary>
    public float Alpha { get; }

    /// <summary>The largest rank among its matrices.</summary>
    public int Rank { get; }

    /// <summary>How many base matrices it changes.</summary>
    public int AdaptedMatrices { get; }

    /// <summary>Elements of its A and B matrices.</summary>
    public long ParameterCount { get; }

    /// <summary>Identity of its weights (a hash of the adapter file's bytes, the same on every replica): what the prefix-cache keys
    /// of its requests are seeded with.</summary>
    public ulong Identity { get; }

    /// <summary>Whether the adapter's weights are still loaded.</summary>
    public bool IsLoaded => Volatile.Read(ref _references) > 0;

    internal LoraWeights? Get(int layer, LoraTarget target) => _table[layer * TargetCount + (int)target];

    /// <summary>Takes a reference (false when already freed).</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            int n = Volatile.Read(ref _references);
            if (n == 0) return false;
            if (Interlocked.CompareExchange(ref _references, n + 1, n) == n) return true;
        }
    }

    /// <summary>Drops a reference; the last one frees the weights.</summary>
    public void Release()
    {
        int n = Interlocked.Decrement(ref _references);
        if (n < 0) throw new InvalidOperationException($"LoRA adapter '{Name}' released more often than acquired");
        if (n > 0) return;
        foreach (var w in _owned) _backend.ReleaseWeight(w);
        Interlocked.Exchange(ref _file, null)?.Dispose();
    }
}
