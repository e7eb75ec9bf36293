namespace Hearth.Engine;

/// <summary>The engine's state for one request: its sequences (one per choice) and bookkeeping. Lives on the
/// engine thread only.</summary>
internal sealed class EngineRequest
{
    public EngineRequest(long key, GenerationRequest request, int maxTokens, Func<EngineRequest, int, Sequence> newSequence)
    {
        Key = key;
        Request = request;
        MaxTokens = maxTokens;
        var sequences = new Sequence[request.Sampling.N];
        for (int i = 0; i < sequences.Length; i++)
        {
            sequences[i] = newSequence(this, i);
            // Choices 1..n-1 are forked from choice 0 once the prompt is computed, sharing its KV blocks.
            if (i > 0) sequences[i].Status = SequenceStatus.ForkPending;
        }
        Sequences = sequences;
    }

    /// <summary>The engine-assigned identity (request ids from clients need not be unique).</summary>
    public long Key { get; }
    public GenerationRequest Request { get; }
    public SamplingParams Sampling => Request.Sampling;
    public int PromptLength => Request.PromptTokens.Count;

    /// <summary>Max completion tokens, clamped so that prompt + completion fits the model context.</summary>
    public int MaxTokens { get; }

    public IReadOnlyList<Sequence> Sequences { get; }

    /// <summary>Whether choices 1..n-1 still wait to be forked from choice 0.</summary>
    public bool ForkPending => Sequences.Count > 1 && Sequences[1].Status == SequenceStatus.ForkPending;

    /// <summary>Set when the request first enters the running set (it then leaves the waiting queue bound).</summary>
    public bool Admitted { get; set; }

    /// <summary>When the scheduler first admitted the request (queue time = this − arrival).</summary>
    public DateTimeOffset? AdmittedAt { get; set; }

    /// <summary>Prompt tokens served from the prefix cache at first admission.</summary>
    public int CachedPromptTokens { get; set; }

    public bool IsFinished => Sequences.All(s => s.Status == SequenceStatus.Finished);
}
