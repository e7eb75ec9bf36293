using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Hearth.Router.State;

namespace Hearth.Router.Keys;

/// <summary>What a client asks POST /admin/keys for.</summary>
public sealed record KeyRequest(string? Name, IReadOnlyList<string>? Models, int? Rpm, int? Tpm, long? Budget);

/// <summary>Issues virtual keys (secrets are stored only as SHA-256), authenticates bearers and hands out each key's
/// <see cref="KeyRuntime"/>, whose limits the <see cref="IKeyLimiter"/> enforces (in this process, or in Redis
/// across router replicas).</summary>
/// <remarks>With a shared store (PostgreSQL) another router may create or revoke a key at any time: a key is looked
/// up in the store on a miss and re-read once it is older than <see cref="RefreshMs"/>, so a revocation reaches every
/// replica within that time. Misses are remembered for the same time, so unknown bearers cannot turn every request
/// into a database query.</remarks>
public sealed class KeyManager
{
    public const long RefreshMs = 2_000;
    private const int MaxRememberedMisses = 10_000;
    private readonly IRouterStore _store;
    private readonly IKeyLimiter _limiter;
    private readonly ConcurrentDictionary<string, KeyRuntime> _byHash = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _misses = new(StringComparer.Ordinal);

    public KeyManager(IRouterStore store, IKeyLimiter limiter)
    {
        _store = store;
        _limiter = limiter;
        foreach (var (k, used) in store.LoadKeys()) _byHash[k.Hash] = new KeyRuntime(k, used, limiter, RouterState.NowMs);
    }

    /// <summary>Every active key (re-read from the store when it is shared).</summary>
    public IEnumerable<KeyRuntime> All()
    {
        if (!_store.IsShared) return _byHash.Values.OrderBy(k => k.Key.CreatedUnixMs);
        var now = RouterState.NowMs;
        return _store.LoadKeys().Select(p => Refresh(p.Key, p.TokensUsed, now)).ToList();
    }

    public (StoredKey Key, string Secret) Create(KeyRequest request)
    {
        if (request.Rpm is <= 0 || request.Tpm is <= 0 || request.Budget is <= 0)
            throw new ArgumentException("rpm, tpm and budget must be positive when given");
        var secret = "sk-hearth-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var id = "key_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var key = new StoredKey(id, request.Name ?? id, HashOf(secret), request.Models, request.Rpm, request.Tpm, request.Budget, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        _store.InsertKey(key);
        _byHash[key.Hash] = new KeyRuntime(key, 0, _limiter, RouterState.NowMs);
        _misses.TryRemove(key.Hash, out _);
        return (key, secret);
    }

    public bool Revoke(string id)
    {
        var revoked = _store.RevokeKey(id);
        foreach (var (hash, k) in _byHash)
            if (k.Key.Id == id) _byHash.TryRemove(hash, out _);
        return revoked;
    }

    public KeyRuntime? Find(string secret)
    {
        var hash = HashOf(secret);
        var now = RouterState.NowMs;
        var cached = _byHash.TryGetValue(hash, out var k) ? k : null;
        if (!_store.IsShared) return cached;
        if (cached is not null && now - cached.LoadedAtMs < RefreshMs) return cached;
        if (cached is null && _misses.TryGetValue(hash, out var missAt) && now - missAt < RefreshMs) return null;

        var found = _store.FindKey(hash);
        if (found is not { } f)
        {
            _byHash.TryRemove(hash, out _);
            if (_misses.Count >= MaxRememberedMisses) _misses.Clear();
            _misses[hash] = now;
            return null;
        }
        _misses.TryRemove(hash, out _);
        return Refresh(f.Key, f.TokensUsed, now);
    }

    private KeyRuntime Refresh(StoredKey key, long tokensUsed, long now) =>
        _byHash.AddOrUpdate(key.Hash,
            _ => new KeyRuntime(key, tokensUsed, _limiter, now),
            (_, old) => old.Key == key || SameKey(old.Key, key) ? old.Touched(now) : new KeyRuntime(key, tokensUsed, _limiter, now));

    private static bool SameKey(StoredKey a, StoredKey b) =>
        a.Id == b.Id && a.Rpm == b.Rpm && a.Tpm == b.Tpm && a.Budget == b.Budget &&
        (a.Models ?? []).SequenceEqual(b.Models ?? []) && (a.Models is null) == (b.Models is null);

    private static string HashOf(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}
