namespace Hearth.Engine;

/// <summary>The one native request type: both HTTP APIs translate into this.</summary>
public sealed record GenerationRequest(string RequestId, IReadOnlyList<int> PromptTokens, SamplingParams Sampling)
{
    public DateTimeOffset ArrivalTime { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>The LoRA adapters to run with (null: the base model). The engine keeps them loaded while the request runs.</summary>
    public Lora.LoraSelection? Lora { get; init; }
}

/// <summary>Why a completion ended. Stop covers EOS/EOT, stop token ids and stop strings.</summary>
public enum FinishReason { Stop, Length, Cancelled, Error }

/// <summary>Log-probability of one sampled token and its top alternatives.</summary>
public sealed record TokenLogprob(int TokenId, float Logprob, IReadOnlyList<TopLogprob> Top);

public readonly record struct TopLogprob(int TokenId, float Logprob);

/// <summary>What one engine step adds to one completion (choice <see cref="Index"/> of a request).
/// Text never holds half a UTF-8 character, and never text at or after a matched stop string.
/// The final delta of a choice has <see cref="Finish"/> set and carries the usage counts.</summary>
public sealed record GenerationDelta
{
    public required int Index { get; init; }
    public IReadOnlyList<int> TokenIds { get; init; } = [];
    public string Text { get; init; } = "";
    public IReadOnlyList<TokenLogprob>? Logprobs { get; init; }
    public FinishReason? Finish { get; init; }
    /// <summary>The stop string or stop token that ended the choice, when one did.</summary>
    public string? StopReason { get; init; }
    public string? Error { get; init; }
    public int PromptTokens { get; init; }
    /// <summary>Prompt tokens served from the prefix cache.</summary>
    public int CachedPromptTokens { get; init; }
    public int CompletionTokens { get; init; }
    /// <summary>How long the request waited before its first scheduled step; set (on any delta, typically the
    /// first) by engines that measure it. Feeds hearth:request_queue_time_seconds.</summary>
    public TimeSpan? QueueTime { get; init; }
}

/// <summary>The request was refused because the waiting queue is full (maps to HTTP 429/503).</summary>
public sealed class EngineBusyException(string message) : Exception(message);

/// <summary>The request is invalid for this model (prompt longer than the context, bad parameters); maps to HTTP 400.</summary>
public class InvalidRequestException(string message, string? param = null) : Exception(message)
{
    public string? Param { get; } = param;
}
