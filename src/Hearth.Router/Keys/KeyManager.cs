using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Hearth.Router.Usage;

namespace Hearth.Router.Keys;

/// <summary>What a client asks POST /admin/keys for.</summary>
public sealed record KeyRequest(string? Name, IReadOnlyList<string>? Models, int? Rpm, int? Tpm, long? Budget);

/// <summary>Result of checking a key before a request: allowed, or refused with status, message and Retry-After.</summary>
public readonly record struct LimitVerdict(bool Allowed, int Status, string Code, string Message, int? RetryAfterSeconds)
{
    public static readonly LimitVerdict Ok = new(true, 200, "", "", null);
}

/// <summary>Issues virtual keys (secrets are stored only as SHA-256), authenticates bearers and enforces each key's
/// allowed models, requests/min, tokens/min (sliding 60 s windows) and total token budget.</summary>
public sealed class KeyManager
{
    private readonly RouterDatabase _db;
    private readonly ConcurrentDictionary<string, KeyRuntime> _byHash = new(StringComparer.Ordinal);

    public KeyManager(RouterDatabase db)
    {
        _db = db;
        foreach (var (k, used) in db.LoadKeys()) _byHash[k.Hash] = new KeyRuntime(k, used);
    }

    public IEnumerable<KeyRuntime> All => _byHash.Values.OrderBy(k => k.Key.CreatedUnixMs);

    public (StoredKey Key, string Secret) Create(KeyRequest request)
    {
        if (request.Rpm is <= 0 || request.Tpm is <= 0 || request.Budget is <= 0)
            throw new ArgumentException("rpm, tpm and budget must be positive when given");
        var secret = "sk-hearth-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var id = "key_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var key = new StoredKey(id, request.Name ?? id, HashOf(secret), request.Models, request.Rpm, request.Tpm, request.Budget, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        _db.InsertKey(key);
        _byHash[key.Hash] = new KeyRuntime(key, 0);
        return (key, secret);
    }

    public bool Revoke(string id)
    {
        var hit = _byHash.FirstOrDefault(p => p.Value.Key.Id == id);
        if (hit.Value is null) return false;
        _db.RevokeKey(id);
        return _byHash.TryRemove(hit.Key, out _);
    }

    public KeyRuntime? Find(string secret) => _byHash.TryGetValue(HashOf(secret), out var k) ? k : null;

    private static string HashOf(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}

/// <summary>A key's limits plus its live counters.</summary>
public sealed class KeyRuntime(StoredKey key, long tokensUsed)
{
    private const long WindowMs = 60_000;
    private readonly Lock _gate = new();
    private readonly Queue<long> _requests = new();
    private readonly Queue<(long At, int Tokens)> _tokens = new();
    private long _tokensInWindow;
    private long _tokensUsed = tokensUsed;

    public StoredKey Key { get; } = key;
    public long TokensUsed => Interlocked.Read(ref _tokensUsed);

    /// <summary>Checks model access and limits for one more request; counts the request when allowed.
    /// Token limits are checked against tokens already used (the request's own cost is known only afterwards).</summary>
    public LimitVerdict Admit(string model, long nowMs)
    {
        if (Key.Models is { } models && !models.Contains(model))
            return new(false, 403, "model_not_allowed", $"this key may not use model '{model}'", null);
        lock (_gate)
        {
            if (Key.Budget is { } budget && _tokensUsed >= budget)
                return new(false, 429, "insufficient_quota", $"token budget exhausted ({_tokensUsed} of {budget} tokens used)", null);
            while (_requests.Count > 0 && _requests.Peek() <= nowMs - WindowMs) _requests.Dequeue();
            while (_tokens.Count > 0 && _tokens.Peek().At <= nowMs - WindowMs) _tokensInWindow -= _tokens.Dequeue().Tokens;
            if (Key.Rpm is { } rpm && _requests.Count >= rpm)
                return new(false, 429, "rate_limit_exceeded", $"rate limit of {rpm} requests per minute reached", RetryAfter(_requests.Peek(), nowMs));
            if (Key.Tpm is { } tpm && _tokensInWindow >= tpm)
                return new(false, 429, "rate_limit_exceeded", $"rate limit of {tpm} tokens per minute reached", RetryAfter(_tokens.Peek().At, nowMs));
            _requests.Enqueue(nowMs);
            return LimitVerdict.Ok;
        }
    }

    public void AddTokens(int tokens, long nowMs)
    {
        if (tokens <= 0) return;
        lock (_gate)
        {
            _tokens.Enqueue((nowMs, tokens));
            _tokensInWindow += tokens;
            _tokensUsed += tokens;
        }
    }

    private static int RetryAfter(long oldestMs, long nowMs) => (int)Math.Max(1, Math.Ceiling((oldestMs + WindowMs - nowMs) / 1000.0));
}
