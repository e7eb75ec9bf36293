namespace Hearth.Engine;

/// <summary>Checks a request against the model before it is queued (thread-safe, pure). The context rule: a prompt
/// must leave room for at least one completion token (else <see cref="InvalidRequestException"/>); a max_tokens that
/// would run past the context is clamped, and such a completion ends with <see cref="FinishReason.Length"/>.</summary>
internal sealed class RequestValidator(int vocabSize, int maxModelLength, int maxNumSeqs)
{
    public const int MaxLogprobs = 20;

    /// <summary>Validates and returns the effective max completion tokens.</summary>
    public int Validate(GenerationRequest request)
    {
        var prompt = request.PromptTokens;
        var p = request.Sampling;
        if (prompt.Count == 0) throw new InvalidRequestException("the prompt is empty", "prompt");
        for (int i = 0; i < prompt.Count; i++)
            if ((uint)prompt[i] >= (uint)vocabSize)
                throw new InvalidRequestException($"prompt token {prompt[i]} is outside the vocabulary (0..{vocabSize - 1})", "prompt");
        if (prompt.Count >= maxModelLength)
            throw new InvalidRequestException(
                $"the prompt has {prompt.Count} tokens but the model's context is {maxModelLength} tokens (prompt plus at least one completion token)", "prompt");
        Check(p.N >= 1 && p.N <= maxNumSeqs, $"n must be between 1 and {maxNumSeqs}", "n");
        Check(p.MaxTokens >= 1, "max_tokens must be at least 1", "max_tokens");
        Check(p.MinTokens >= 0 && p.MinTokens <= p.MaxTokens, "min_tokens must be between 0 and max_tokens", "min_tokens");
        Check(float.IsFinite(p.Temperature) && p.Temperature >= 0, "temperature must be ≥ 0", "temperature");
        Check(p.TopP > 0 && p.TopP <= 1, "top_p must be in (0, 1]", "top_p");
        Check(p.MinP >= 0 && p.MinP <= 1, "min_p must be in [0, 1]", "min_p");
        Check(float.IsFinite(p.RepetitionPenalty) && p.RepetitionPenalty > 0, "repetition_penalty must be > 0", "repetition_penalty");
        Check(p.PresencePenalty is >= -2 and <= 2, "presence_penalty must be in [-2, 2]", "presence_penalty");
        Check(p.FrequencyPenalty is >= -2 and <= 2, "frequency_penalty must be in [-2, 2]", "frequency_penalty");
        foreach (var b in p.LogitBias)
            Check((uint)b.TokenId < (uint)vocabSize && b.Bias is >= -100 and <= 100, $"logit_bias: token {b.TokenId} must be in 0..{vocabSize - 1} with a bias in [-100, 100]", "logit_bias");
        Check(p.Logprobs is null or (>= 0 and <= MaxLogprobs), $"logprobs must be between 0 and {MaxLogprobs}", "logprobs");
        return Math.Min(p.MaxTokens, maxModelLength - prompt.Count);
    }

    private static void Check(bool ok, string message, string param)
    {
        if (!ok) throw new InvalidRequestException(message, param);
    }
}
