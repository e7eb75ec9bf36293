using StackExchange.Redis;

namespace Hearth.Router.Keys;

/// <summary>Key limits shared by every router replica through Redis, as LiteLLM does: each check-and-count is one
/// Lua script, so it is atomic across replicas, and it reads Redis's own clock, so replicas with skewed clocks still
/// share one window. Per key: a sorted set of request times (requests/min), a hash of tokens per second (tokens/min)
/// and a running token total (the budget), seeded from the store's usage rows the first time a key is seen.</summary>
public sealed class RedisKeyLimiter : IKeyLimiter
{
    private const string AdmitScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local window = 60000
        redis.call('SET', KEYS[3], ARGV[4], 'NX')
        local budget = tonumber(ARGV[3])
        if budget >= 0 then
          local used = tonumber(redis.call('GET', KEYS[3]))
          if used >= budget then return {2, used} end
        end
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
        local rpm = tonumber(ARGV[1])
        if rpm >= 0 and redis.call('ZCARD', KEYS[1]) >= rpm then
          local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
          return {1, tonumber(oldest[2]) + window - now}
        end
        local tpm = tonumber(ARGV[2])
        if tpm >= 0 then
          local fields = redis.call('HGETALL', KEYS[2])
          local cutoff = math.floor((now - window) / 1000)
          local sum = 0
          local oldest = nil
          for i = 1, #fields, 2 do
            local sec = tonumber(fields[i])
            if sec <= cutoff then
              redis.call('HDEL', KEYS[2], fields[i])
            else
              sum = sum + tonumber(fields[i + 1])
              if oldest == nil or sec < oldest then oldest = sec end
            end
          end
          if sum >= tpm then return {3, (oldest + 1) * 1000 + window - now} end
        end
        redis.call('ZADD', KEYS[1], now, ARGV[5])
        redis.call('PEXPIRE', KEYS[1], window)
        return {0, 0}
        """;

    private const string AddTokensScript = """
        local t = redis.call('TIME')
        redis.call('HINCRBY', KEYS[1], t[1], ARGV[1])
        redis.call('PEXPIRE', KEYS[1], 61000)
        redis.call('SET', KEYS[2], ARGV[2], 'NX')
        return redis.call('INCRBY', KEYS[2], ARGV[1])
        """;

    private readonly ConnectionMultiplexer _redis;
    private readonly string _prefix;

    /// <param name="configuration">StackExchange.Redis configuration, e.g. <c>127.0.0.1:6379,password=…</c>.</param>
    /// <param name="prefix">Namespace for this router fleet's keys in a shared Redis.</param>
    public RedisKeyLimiter(string configuration, string prefix = "hearth")
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = true;
        options.ConnectTimeout = Math.Min(options.ConnectTimeout, 5000);
        _redis = ConnectionMultiplexer.Connect(options);
        _prefix = prefix;
    }

    private RedisKey Name(KeyRuntime key, string what) => $"{_prefix}:{{{key.Key.Id}}}:{what}";

    public async ValueTask<LimitVerdict> AdmitAsync(KeyRuntime key, CancellationToken ct)
    {
        var k = key.Key;
        var result = (RedisResult[])(await _redis.GetDatabase().ScriptEvaluateAsync(AdmitScript,
            [Name(key, "req"), Name(key, "tok"), Name(key, "used")],
            [k.Rpm ?? -1, k.Tpm ?? -1, k.Budget ?? -1, key.TokensUsedAtLoad, Guid.NewGuid().ToString("N")]).ConfigureAwait(false))!;
        var kind = (int)result[0];
        var value = (long)result[1];
        var retryAfter = (int)Math.Max(1, Math.Ceiling(value / 1000.0));
        return kind switch
        {
            0 => LimitVerdict.Ok,
            1 => LimitVerdict.RequestsPerMinute(k.Rpm!.Value, retryAfter),
            2 => LimitVerdict.BudgetExhausted(value, k.Budget!.Value),
            _ => LimitVerdict.TokensPerMinute(k.Tpm!.Value, retryAfter),
        };
    }

    public async ValueTask AddTokensAsync(KeyRuntime key, int tokens, CancellationToken ct) =>
        await _redis.GetDatabase().ScriptEvaluateAsync(AddTokensScript,
            [Name(key, "tok"), Name(key, "used")], [tokens, key.TokensUsedAtLoad]).ConfigureAwait(false);

    public async ValueTask<long> TokensUsedAsync(KeyRuntime key, CancellationToken ct)
    {
        var used = await _redis.GetDatabase().StringGetAsync(Name(key, "used")).ConfigureAwait(false);
        return used.HasValue ? (long)used : key.TokensUsedAtLoad;
    }

    public void Dispose() => _redis.Dispose();
}
