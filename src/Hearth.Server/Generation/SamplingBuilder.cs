using System.Globalization;
using Hearth.Engine;
using Hearth.Server.Http;

namespace Hearth.Server.Generation;

/// <summary>Sampling settings gathered in layers (API defaults &lt; the model's Modelfile PARAMETERs &lt; the
/// request); null means "not set at this layer".</summary>
public sealed class SamplingBuilder
{
    public float? Temperature, TopP, MinP, RepetitionPenalty, PresencePenalty, FrequencyPenalty;
    public int? TopK, MaxTokens, MinTokens, Logprobs, N;
    public ulong? Seed;
    public IReadOnlyList<string>? Stop;
    /// <summary>Token biases (OpenAI logit_bias), checked against the vocabulary when built.</summary>
    public IReadOnlyList<TokenBias>? LogitBias;
    public bool? IgnoreEos;

    /// <summary>Ollama's documented defaults for options a request leaves out.</summary>
    public static SamplingBuilder OllamaDefaults() => new() { Temperature = 0.8f, TopK = 40, TopP = 0.9f, RepetitionPenalty = 1.1f };

    /// <summary>Applies Modelfile PARAMETER values (Ollama option names). Values that do not parse are skipped:
    /// they were validated when the model was created, and a stale one must not make every request fail.</summary>
    public SamplingBuilder WithModelParameters(IReadOnlyDictionary<string, string> parameters)
    {
        foreach (var (key, value) in parameters)
        {
            var f = float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var fv) ? fv : (float?)null;
            var i = int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var iv) ? iv : (int?)null;
            switch (key)
            {
                case "temperature": Temperature = f ?? Temperature; break;
                case "top_p": TopP = f ?? TopP; break;
                case "min_p": MinP = f ?? MinP; break;
                case "top_k": TopK = i ?? TopK; break;
                case "repeat_penalty": RepetitionPenalty = f ?? RepetitionPenalty; break;
                case "presence_penalty": PresencePenalty = f ?? PresencePenalty; break;
                case "frequency_penalty": FrequencyPenalty = f ?? FrequencyPenalty; break;
                case "num_predict": if (i is > 0) MaxTokens = i; break;
                case "seed": if (i is { } s) Seed = unchecked((ulong)s); break;
                case "stop": Stop = value.Split('\n', StringSplitOptions.RemoveEmptyEntries); break;
            }
        }
        return this;
    }

    /// <summary>Values set in <paramref name="top"/> win.</summary>
    public SamplingBuilder Overlay(SamplingBuilder top) => new()
    {
        Temperature = top.Temperature ?? Temperature, TopP = top.TopP ?? TopP, MinP = top.MinP ?? MinP,
        RepetitionPenalty = top.RepetitionPenalty ?? RepetitionPenalty, PresencePenalty = top.PresencePenalty ?? PresencePenalty,
        FrequencyPenalty = top.FrequencyPenalty ?? FrequencyPenalty, TopK = top.TopK ?? TopK, MaxTokens = top.MaxTokens ?? MaxTokens,
        MinTokens = top.MinTokens ?? MinTokens, Logprobs = top.Logprobs ?? Logprobs, N = top.N ?? N, Seed = top.Seed ?? Seed,
        Stop = top.Stop is { Count: > 0 } ? top.Stop : Stop, IgnoreEos = top.IgnoreEos ?? IgnoreEos,
        LogitBias = top.LogitBias ?? LogitBias,
    };

    /// <summary>The engine's parameters, checked against the engine's limits (see <see cref="RequestLimits"/>).
    /// Unset max tokens means "until the context is full".</summary>
    public SamplingParams Build(EngineLimits limits, int promptTokens, bool clampMaxTokens, string maxTokensParam = "max_tokens")
    {
        var max = RequestLimits.MaxTokens(limits, promptTokens, MaxTokens, clampMaxTokens, maxTokensParam);
        if (MinTokens is { } min && min > max) throw ApiException.BadRequest($"'min_tokens' ({min}) must not exceed the maximum tokens ({max})", "min_tokens");
        RequestLimits.CheckSequences(limits, N ?? 1);
        foreach (var b in LogitBias ?? []) RequestLimits.CheckTokenId(limits, b.TokenId, $"logit_bias.{b.TokenId}", "logit_bias");
        var d = new SamplingParams();
        return new SamplingParams
        {
            Temperature = Temperature ?? d.Temperature,
            TopP = TopP ?? d.TopP,
            TopK = TopK ?? d.TopK,
            MinP = MinP ?? d.MinP,
            RepetitionPenalty = RepetitionPenalty ?? d.RepetitionPenalty,
            PresencePenalty = PresencePenalty ?? d.PresencePenalty,
            FrequencyPenalty = FrequencyPenalty ?? d.FrequencyPenalty,
            Seed = Seed,
            MaxTokens = max,
            MinTokens = MinTokens ?? 0,
            Stop = Stop ?? [],
            IgnoreEos = IgnoreEos ?? false,
            LogitBias = LogitBias ?? [],
            Logprobs = Logprobs,
            N = N ?? 1,
        };
    }
}
