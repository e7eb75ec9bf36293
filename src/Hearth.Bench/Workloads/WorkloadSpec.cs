namespace Hearth.Bench.Workloads;

/// <summary>What prompts to make. Random mode: prompts of <see cref="InputLen"/> tokens (± range ratio), all
/// starting with one shared prefix of <see cref="PrefixLen"/> tokens when it is above zero (so a server's prefix
/// cache can be measured), asking for <see cref="OutputLen"/> tokens (± range ratio). ShareGPT mode: prompts
/// are the first human turn of each conversation and the output length is the first reply's length, unless
/// <see cref="OutputLenOverride"/> is set.</summary>
public sealed record WorkloadSpec(
    int InputLen,
    int OutputLen,
    double RangeRatio = 0,
    int PrefixLen = 0,
    string? ShareGptPath = null,
    int? OutputLenOverride = null)
{
    /// <summary>Checks ranges; returns a message for the user or null when valid.</summary>
    public string? Validate()
    {
        if (ShareGptPath is null && InputLen < 1) return "--input-len must be at least 1";
        if (OutputLen < 1) return "--output-len must be at least 1";
        if (RangeRatio is < 0 or >= 1 || double.IsNaN(RangeRatio)) return "--range-ratio must be in [0, 1)";
        if (PrefixLen < 0) return "--prefix-len must be 0 or more";
        if (ShareGptPath is not null && !File.Exists(ShareGptPath)) return $"--dataset: file not found: {ShareGptPath}";
        return null;
    }
}
