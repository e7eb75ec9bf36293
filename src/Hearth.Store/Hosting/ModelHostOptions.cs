namespace Hearth.Store.Hosting;

/// <summary>How many models <see cref="ModelHost"/> keeps loaded and for how long.</summary>
public sealed record ModelHostOptions
{
    /// <summary>The model served when a request names none.</summary>
    public string DefaultModelName { get; init; } = "tinystories:latest";
    /// <summary>How long an idle model stays loaded (Ollama's default: 5 minutes). Zero unloads right after each
    /// request; negative keeps models forever.</summary>
    public TimeSpan DefaultKeepAlive { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>At most this many models loaded at once (`--max-loaded-models`); 0 = no limit.</summary>
    public int MaxLoadedModels { get; init; }
    /// <summary>Sum of GGUF sizes of loaded models may not exceed this; 0 = no limit. A single model larger than
    /// the budget still loads when nothing else is loaded.</summary>
    public long MemoryBudgetBytes { get; init; }
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
