namespace Hearth.Router.Keys;

/// <summary>Limits kept in this process: each key's <see cref="LocalWindows"/>.</summary>
public sealed class LocalKeyLimiter : IKeyLimiter
{
    public ValueTask<LimitVerdict> AdmitAsync(KeyRuntime key, CancellationToken ct) =>
        ValueTask.FromResult(key.Windows.Admit(key.Key.Rpm, key.Key.Tpm, key.Key.Budget, RouterState.NowMs));

    public ValueTask AddTokensAsync(KeyRuntime key, int tokens, CancellationToken ct)
    {
        key.Windows.AddTokens(tokens, RouterState.NowMs);
        return ValueTask.CompletedTask;
    }

    public ValueTask<long> TokensUsedAsync(KeyRuntime key, CancellationToken ct) => ValueTask.FromResult(key.Windows.TokensUsed);

    public void Dispose() { }
}

/// <summary>One key's sliding 60 s windows of requests and tokens, and its running token total.</summary>
internal sealed class LocalWindows(long tokensUsed)
{
    public const long WindowMs = 60_000;
    private readonly Lock _gate = new();
    private readonly Queue<long> _requests = new();
    private readonly Queue<(long At, int Tokens)> _tokens = new();
    private long _tokensInWindow;
    private long _tokensUsed = tokensUsed;

    public long TokensUsed => Interlocked.Read(ref _tokensUsed);

    public LimitVerdict Admit(int? rpm, int? tpm, long? budget, long nowMs)
    {
        lock (_gate)
        {
            if (budget is { } b && _tokensUsed >= b) return LimitVerdict.BudgetExhausted(_tokensUsed, b);
            while (_requests.Count > 0 && _requests.Peek() <= nowMs - WindowMs) _requests.Dequeue();
            while (_tokens.Count > 0 && _tokens.Peek().At <= nowMs - WindowMs) _tokensInWindow -= _tokens.Dequeue().Tokens;
            if (rpm is { } r && _requests.Count >= r) return LimitVerdict.RequestsPerMinute(r, RetryAfter(_requests.Peek(), nowMs));
            if (tpm is { } t && _tokensInWindow >= t) return LimitVerdict.TokensPerMinute(t, RetryAfter(_tokens.Peek().At, nowMs));
            _requests.Enqueue(nowMs);
            return LimitVerdict.Ok;
        }
    }

    public void AddTokens(int tokens, long nowMs)
    {
        lock (_gate)
        {
            _tokens.Enqueue((nowMs, tokens));
            _tokensInWindow += tokens;
            _tokensUsed += tokens;
        }
    }

    public static int RetryAfter(long oldestMs, long nowMs) => (int)Math.Max(1, Math.Ceiling((oldestMs + WindowMs - nowMs) / 1000.0));
}
