namespace Hearth.Store.Hosting;

/// <summary>A LoRA adapter served under its own model name (vLLM's convention): <c>--lora NAME=FILE[:SCALE]</c> at
/// start-up or <c>POST /v1/load_lora_adapter</c> at run time.</summary>
/// <param name="Name">The model name clients use.</param>
/// <param name="Path">The adapter GGUF.</param>
/// <param name="Scale">Its default scale (llama-server's --lora-scaled).</param>
/// <param name="BaseModel">The model it runs on (null: the server's default model).</param>
public sealed record LoraSpec(string Name, string Path, float Scale = 1f, string? BaseModel = null);

/// <summary>The adapter names a server knows, in registration order (a request's <c>lora[].id</c> is an index into
/// it, as in llama-server). Only names and files: weights are loaded into each base model's
/// <see cref="Engine.Lora.LoraAdapterCache"/> on first use. Thread-safe.</summary>
public sealed class LoraRegistry
{
    private readonly Lock _lock = new();
    private readonly List<LoraSpec> _specs = [];

    /// <summary>Adds a name; false when it is taken.</summary>
    public bool TryAdd(LoraSpec spec)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec.Name);
        lock (_lock)
        {
            if (_specs.Any(s => s.Name == spec.Name)) return false;
            _specs.Add(spec);
            return true;
        }
    }

    public LoraSpec? Find(string name)
    {
        lock (_lock) return _specs.FirstOrDefault(s => s.Name == name);
    }

    public bool Remove(string name)
    {
        lock (_lock) return _specs.RemoveAll(s => s.Name == name) > 0;
    }

    public IReadOnlyList<LoraSpec> All()
    {
        lock (_lock) return [.. _specs];
    }
}
