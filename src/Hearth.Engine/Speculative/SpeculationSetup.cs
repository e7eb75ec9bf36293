namespace Hearth.Engine.Speculative;

/// <summary>Builds the engine's <see cref="Speculator"/> from its options (null when speculation is off).</summary>
internal static class SpeculationSetup
{
    public static Speculator? Create(EngineOptions options, int vocab, int maxModelLength, Models.IForwardModel? draftModel)
    {
        IDraftProposer? proposer = options.SpeculativeMethod switch
        {
            SpeculativeMethod.None => null,
            SpeculativeMethod.Ngram => new NgramProposer(options.NgramMin, options.NgramMax),
            SpeculativeMethod.Draft => new DraftModelProposer(
                draftModel ?? throw new ArgumentException("speculative method 'draft' needs a draft model"), vocab, options, maxModelLength),
            _ => throw new ArgumentOutOfRangeException(nameof(options), $"unknown speculative method {options.SpeculativeMethod}"),
        };
        return proposer is null ? null : new Speculator(proposer, options, maxModelLength);
    }
}
