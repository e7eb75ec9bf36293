namespace Hearth.Router.Keys;

/// <summary>Enforces a key's requests/min, tokens/min (sliding 60 s windows) and total token budget:
/// <see cref="LocalKeyLimiter"/> for one router, <see cref="RedisKeyLimiter"/> for replicas that must share them.</summary>
public interface IKeyLimiter : IDisposable
{
    /// <summary>Refuses with 429 when a limit is reached; otherwise counts one request and allows it.</summary>
    ValueTask<LimitVerdict> AdmitAsync(KeyRuntime key, CancellationToken ct);

    /// <summary>Counts tokens a finished request used towards the key's per-minute window and budget.</summary>
    ValueTask AddTokensAsync(KeyRuntime key, int tokens, CancellationToken ct);

    ValueTask<long> TokensUsedAsync(KeyRuntime key, CancellationToken ct);
}
