using Hearth.Engine.Structured;

namespace Hearth.Engine;

/// <summary>How to pick tokens and when to stop, per request (OpenAI/vLLM semantics).</summary>
public sealed record SamplingParams
{
    /// <summary>0 means greedy (argmax, lowest id on ties).</summary>
    public float Temperature { get; init; } = 1.0f;
    public float TopP { get; init; } = 1.0f;
    /// <summary>0 or negative disables top-k.</summary>
    public int TopK { get; init; }
    public float MinP { get; init; }
    public float RepetitionPenalty { get; init; } = 1.0f;
    public float PresencePenalty { get; init; }
    public float FrequencyPenalty { get; init; }
    /// <summary>Per-request seed; the same seed and prompt reproduce the same tokens.</summary>
    public ulong? Seed { get; init; }
    public int MaxTokens { get; init; } = 256;
    public int MinTokens { get; init; }
    public IReadOnlyList<string> Stop { get; init; } = [];
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];
    public bool IgnoreEos { get; init; }
    /// <summary>Added to the logits of these tokens before sampling (OpenAI's logit_bias, -100..100).</summary>
    public IReadOnlyList<TokenBias> LogitBias { get; init; } = [];
    /// <summary>Null: no logprobs. N ≥ 0: the chosen token's logprob plus N top alternatives.</summary>
    public int? Logprobs { get; init; }
    /// <summary>Number of completions; they share the prompt's KV blocks.</summary>
    public int N { get; init; } = 1;
    /// <summary>The output must be a sentence of this grammar (structured outputs): the sampler draws only tokens it
    /// allows, end tokens only where it may end, and the completion stops when nothing else can follow.</summary>
    public Grammar? Grammar { get; init; }
}

/// <summary>A bias added to one token's logit.</summary>
public readonly record struct TokenBias(int TokenId, float Bias);
