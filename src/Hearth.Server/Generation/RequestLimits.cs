using Hearth.Engine;
using Hearth.Server.Http;

namespace Hearth.Server.Generation;

/// <summary>The one place a request is checked against what the engine really holds (<see cref="EngineLimits"/>:
/// the model's context capped by the KV cache, the vocabulary, the most sequences), before anything reaches the
/// engine. Every protocol gets the same wording (OpenAI's, which clients already recognise).</summary>
public static class RequestLimits
{
    /// <summary>"This model's maximum context length is N tokens" plus, when the KV cache is what caps it, why.</summary>
    private static string MaxContext(EngineLimits limits) =>
        $"This model's maximum context length is {limits.MaxModelLength} tokens" +
        (limits.MaxModelLength < limits.ModelContextLength
            ? $" (the server's KV cache holds {limits.MaxModelLength} of the model's {limits.ModelContextLength})"
            : "");

    /// <summary>400 when the prompt is empty or does not leave room for one generated token. Never truncates.</summary>
    public static void CheckPrompt(EngineLimits limits, int promptTokens, string param)
    {
        if (promptTokens == 0) throw ApiException.BadRequest("the prompt is empty", param);
        if (promptTokens >= limits.MaxModelLength)
            throw ApiException.BadRequest(
                $"{MaxContext(limits)}. However, your prompt has {promptTokens} tokens. Please shorten it.", param, "context_length_exceeded");
    }

    /// <summary>The completion's token budget: the requested maximum, or all the room left when none was asked.
    /// A maximum beyond the room is a 400 naming <paramref name="param"/>, unless <paramref name="clamp"/> (Ollama,
    /// whose num_predict is a wish: the answer then ends with "length").</summary>
    public static int MaxTokens(EngineLimits limits, int promptTokens, int? requested, bool clamp, string param)
    {
        var room = limits.MaxModelLength - promptTokens;
        var max = requested ?? room;
        if (max <= room) return max;
        if (clamp) return room;
        throw ApiException.BadRequest(
            $"{MaxContext(limits)}. However, you requested {promptTokens + max} tokens ({promptTokens} in the prompt, {max} for the completion). " +
            $"Please reduce the prompt or {param}.", param, "context_length_exceeded");
    }

    /// <summary>400 when a request asks for more sequences than the engine runs at once.</summary>
    public static void CheckSequences(EngineLimits limits, int n, string param = "n")
    {
        if (n > limits.MaxNumSeqs)
            throw ApiException.BadRequest($"'{param}' is {n} but this server runs at most {limits.MaxNumSeqs} sequences per request", param);
    }

    /// <summary>400 when a token id (<paramref name="field"/>, e.g. "prompt[3]") is outside the vocabulary.</summary>
    public static void CheckTokenId(EngineLimits limits, int id, string field, string param)
    {
        if ((uint)id >= (uint)limits.VocabSize)
            throw ApiException.BadRequest($"'{field}' is not a token id of this model (0..{limits.VocabSize - 1})", param);
    }
}
