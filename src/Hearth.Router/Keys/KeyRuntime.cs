using Hearth.Router.State;

namespace Hearth.Router.Keys;

/// <summary>Result of checking a key before a request: allowed, or refused with status, message and Retry-After.</summary>
public readonly record struct LimitVerdict(bool Allowed, int Status, string Code, string Message, int? RetryAfterSeconds)
{
    public static readonly LimitVerdict Ok = new(true, 200, "", "", null);

    public static LimitVerdict BudgetExhausted(long used, long budget) =>
        new(false, 429, "insufficient_quota", $"token budget exhausted ({used} of {budget} tokens used)", null);

    public static LimitVerdict RequestsPerMinute(int rpm, int retryAfter) =>
        new(false, 429, "rate_limit_exceeded", $"rate limit of {rpm} requests per minute reached", retryAfter);

    public static LimitVerdict TokensPerMinute(int tpm, int retryAfter) =>
        new(false, 429, "rate_limit_exceeded", $"rate limit of {tpm} tokens per minute reached", retryAfter);
}

/// <summary>One virtual key as this router sees it: its stored limits, the tokens it had used when it was loaded,
/// and the in-process windows the local limiter keeps (unused when the limits live in Redis).</summary>
public sealed class KeyRuntime(StoredKey key, long tokensUsedAtLoad, IKeyLimiter limiter, long loadedAtMs)
{
    public StoredKey Key { get; } = key;

    /// <summary>Tokens used according to the store when this runtime was created (the budget's starting point).</summary>
    public long TokensUsedAtLoad { get; } = tokensUsedAtLoad;

    /// <summary>When the store was last consulted for this key (router clock, ms).</summary>
    public long LoadedAtMs { get; private set; } = loadedAtMs;

    /// <summary>The sliding windows of the in-process limiter.</summary>
    internal LocalWindows Windows { get; } = new(tokensUsedAtLoad);

    internal KeyRuntime Touched(long nowMs)
    {
        LoadedAtMs = nowMs;
        return this;
    }

    /// <summary>Checks model access, then the limits; counts the request when allowed. Token limits are checked against
    /// tokens already used (the request's own cost is known only afterwards).</summary>
    public ValueTask<LimitVerdict> AdmitAsync(string model, CancellationToken ct)
    {
        if (Key.Models is { } models && !models.Contains(model))
            return ValueTask.FromResult(new LimitVerdict(false, 403, "model_not_allowed", $"this key may not use model '{model}'", null));
        return limiter.AdmitAsync(this, ct);
    }

    public ValueTask AddTokensAsync(int tokens, CancellationToken ct) => tokens <= 0 ? ValueTask.CompletedTask : limiter.AddTokensAsync(this, tokens, ct);

    public ValueTask<long> TokensUsedAsync(CancellationToken ct) => limiter.TokensUsedAsync(this, ct);
}
