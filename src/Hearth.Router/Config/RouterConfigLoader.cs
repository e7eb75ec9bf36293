using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Hearth.Router.Config;

/// <summary>Reads router YAML into <see cref="RouterConfig"/>, rejecting unknown keys, missing fields, bad URLs,
/// unknown policies and fallbacks to undeclared models with "file:line:col: message" errors.</summary>
/// <remarks>Shape:
/// <code>
/// master_key: sk-admin            # optional; without it the router is open
/// allowed_origins: [https://ui.example.com]   # optional browser origins besides localhost ones
/// allowed_hosts: [router.internal]            # optional Host names besides localhost ones
/// database: router.db             # optional SQLite file for keys and usage (default: in memory)
/// health_check: {interval: 5s, path: /health}
/// circuit_breaker: {failures: 3, cooldown: 30s}
/// retries: {max: 2, backoff_ms: 50}
/// upstreams:
///   - {name: a, url: http://127.0.0.1:8001/v1, api_key: k, models: {default: qwen2.5-0.5b}}
/// models:
///   default: {policy: least-outstanding, fallback: [], prefix_chars: 256}
/// </code></remarks>
public static class RouterConfigLoader
{
    public static RouterConfig LoadFile(string path)
    {
        if (!File.Exists(path)) throw new RouterConfigException($"{path}: file not found");
        return Parse(File.ReadAllText(path), path);
    }

    public static RouterConfig Parse(string yaml, string source = "router.yaml")
    {
        var stream = new YamlStream();
        var parser = new PositionTrackingParser(new Parser(new StringReader(yaml)));
        try { stream.Load(parser); }
        catch (YamlException e) { throw new RouterConfigException($"{source}:{e.Start.Line}:{e.Start.Column}: invalid YAML: {e.Message}"); }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner fails this way on some malformed input; report where it was reading.
            var at = parser.LastGood;
            throw new RouterConfigException($"{source}:{at.Line}:{at.Column}: invalid YAML after this point (an unclosed quote, bracket or brace?)");
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new RouterConfigException($"{source}:1:1: expected a mapping with 'upstreams' and 'models'");
        return new Reader(source).Root(root);
    }

    /// <summary>Remembers where the last event that parsed well ended, for errors that carry no position.</summary>
    private sealed class PositionTrackingParser(IParser inner) : IParser
    {
        public Mark LastGood { get; private set; } = new(0, 1, 1);
        public YamlDotNet.Core.Events.ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            if (inner.Current is { } current) LastGood = current.End;
            return inner.MoveNext();
        }
    }

    private sealed class Reader(string source)
    {
        private RouterConfigException Error(YamlNode node, string message) =>
            new($"{source}:{node.Start.Line}:{node.Start.Column}: {message}");

        public RouterConfig Root(YamlMappingNode root)
        {
            var map = Keys(root, "top level", "upstreams", "models", "master_key", "database", "health_check", "circuit_breaker", "retries",
                "allowed_origins", "allowed_hosts");
            var upstreamsNode = Required(root, map, "upstreams", "top level");
            if (upstreamsNode is not YamlSequenceNode seq || seq.Children.Count == 0)
                throw Error(upstreamsNode, "'upstreams' must be a non-empty list");
            var upstreams = new List<UpstreamConfig>();
            var upstreamNodes = new Dictionary<string, YamlNode>();
            foreach (var u in seq.Children)
            {
                var up = Upstream(u);
                if (upstreamNodes.ContainsKey(up.Name)) throw Error(u, $"duplicate upstream name '{up.Name}'");
                upstreamNodes[up.Name] = u;
                upstreams.Add(up);
            }

            var modelsNode = Required(root, map, "models", "top level");
            if (modelsNode is not YamlMappingNode modelsMap || modelsMap.Children.Count == 0)
                throw Error(modelsNode, "'models' must be a non-empty mapping of model name to {policy, fallback}");
            var models = new Dictionary<string, ModelConfig>(StringComparer.Ordinal);
            var fallbackNodes = new List<(YamlNode Node, string Target)>();
            foreach (var (k, v) in modelsMap.Children)
            {
                var name = Scalar(k, "model name");
                models[name] = Model(name, v, fallbackNodes);
            }
            foreach (var (node, target) in fallbackNodes)
                if (!models.ContainsKey(target)) throw Error(node, $"fallback to unknown model '{target}' (declared models: {string.Join(", ", models.Keys)})");
            foreach (var up in upstreams)
                foreach (var m in up.Models.Keys)
                    if (!models.ContainsKey(m)) throw Error(upstreamNodes[up.Name], $"upstream '{up.Name}' serves model '{m}', which is not declared under 'models'");
            foreach (var (name, _) in models)
                if (!upstreams.Any(u => u.Models.ContainsKey(name)))
                    throw Error(modelsMap.Children.First(c => ((YamlScalarNode)c.Key).Value == name).Key, $"model '{name}' is not served by any upstream");

            return new RouterConfig(upstreams, models,
                map.TryGetValue("master_key", out var mk) ? NonEmpty(mk, "master_key") : null,
                map.TryGetValue("database", out var db) ? NonEmpty(db, "database") : null,
                map.TryGetValue("health_check", out var hc) ? Health(hc) : null,
                map.TryGetValue("circuit_breaker", out var cb) ? Breaker(cb) : RouterConfig.DefaultBreaker,
                map.TryGetValue("retries", out var r) ? Retries(r) : RouterConfig.DefaultRetries)
            {
                AllowedOrigins = map.TryGetValue("allowed_origins", out var ao) ? Strings(ao, "allowed_origins") : [],
                AllowedHosts = map.TryGetValue("allowed_hosts", out var ah) ? Strings(ah, "allowed_hosts") : [],
            };
        }

        private List<string> Strings(YamlNode node, string what) =>
            node is YamlSequenceNode seq ? seq.Children.Select(c => NonEmpty(c, what)).ToList()
            : throw Error(node, $"'{what}' must be a list of strings");

        private UpstreamConfig Upstream(YamlNode node)
        {
            if (node is not YamlMappingNode m) throw Error(node, "each upstream must be a mapping {name, url, models}");
            var map = Keys(m, "upstream", "name", "url", "api_key", "models");
            var name = NonEmpty(Required(m, map, "name", "upstream"), "name");
            var urlNode = Required(m, map, "url", $"upstream '{name}'");
            var urlText = Scalar(urlNode, "url");
            if (!Uri.TryCreate(urlText, UriKind.Absolute, out var url) || (url.Scheme != "http" && url.Scheme != "https") || !string.IsNullOrEmpty(url.Query))
                throw Error(urlNode, $"upstream '{name}': url '{urlText}' is not an http:// or https:// URL");
            var modelsNode = Required(m, map, "models", $"upstream '{name}'");
            if (modelsNode is not YamlMappingNode mm || mm.Children.Count == 0)
                throw Error(modelsNode, $"upstream '{name}': 'models' must map router model names to model ids on this upstream");
            var models = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (k, v) in mm.Children) models[Scalar(k, "model name")] = NonEmpty(v, "model id");
            var key = map.TryGetValue("api_key", out var kn) ? NonEmpty(kn, "api_key") : null;
            if (key is not null && key.StartsWith("env:", StringComparison.Ordinal))
                key = Environment.GetEnvironmentVariable(key[4..]) ?? throw Error(kn!, $"upstream '{name}': environment variable {key[4..]} is not set");
            // Normalise so relative paths ("chat/completions") append under /v1.
            var baseUrl = new Uri(url.AbsoluteUri.EndsWith('/') ? url.AbsoluteUri : url.AbsoluteUri + "/");
            return new UpstreamConfig(name, baseUrl, key, models);
        }

        private ModelConfig Model(string name, YamlNode node, List<(YamlNode, string)> fallbackNodes)
        {
            if (node is YamlScalarNode { Value: null or "" }) return new ModelConfig(name, RoutingPolicy.LeastOutstanding, [], RouterConfig.DefaultPrefixChars);
            if (node is not YamlMappingNode m) throw Error(node, $"model '{name}' must be a mapping {{policy, fallback}}");
            var map = Keys(m, $"model '{name}'", "policy", "fallback", "prefix_chars");
            var policy = RoutingPolicy.LeastOutstanding;
            if (map.TryGetValue("policy", out var p))
                policy = Scalar(p, "policy") switch
                {
                    "least-outstanding" => RoutingPolicy.LeastOutstanding,
                    "prefix-affinity" => RoutingPolicy.PrefixAffinity,
                    var other => throw Error(p, $"model '{name}': unknown policy '{other}' (expected least-outstanding or prefix-affinity)"),
                };
            var fallback = new List<string>();
            if (map.TryGetValue("fallback", out var f))
            {
                if (f is not YamlSequenceNode fs) throw Error(f, $"model '{name}': 'fallback' must be a list of model names");
                foreach (var item in fs.Children)
                {
                    var target = NonEmpty(item, "fallback model");
                    if (target == name) throw Error(item, $"model '{name}' cannot fall back to itself");
                    fallbackNodes.Add((item, target));
                    fallback.Add(target);
                }
            }
            var prefix = map.TryGetValue("prefix_chars", out var pc) ? Int(pc, "prefix_chars", 1, 1_000_000) : RouterConfig.DefaultPrefixChars;
            return new ModelConfig(name, policy, fallback, prefix);
        }

        private HealthCheckConfig Health(YamlNode node)
        {
            if (node is not YamlMappingNode m) throw Error(node, "'health_check' must be a mapping {interval, path}");
            var map = Keys(m, "health_check", "interval", "path", "timeout");
            var interval = map.TryGetValue("interval", out var i) ? Duration(i, "interval") : TimeSpan.FromSeconds(10);
            var timeout = map.TryGetValue("timeout", out var t) ? Duration(t, "timeout") : TimeSpan.FromSeconds(2);
            string? path = null;
            if (map.TryGetValue("path", out var pn))
            {
                path = NonEmpty(pn, "path");
                if (!path.StartsWith('/')) throw Error(pn, $"health_check path '{path}' must start with '/'");
            }
            return new HealthCheckConfig(interval, path, timeout);
        }

        private CircuitBreakerConfig Breaker(YamlNode node)
        {
            if (node is not YamlMappingNode m) throw Error(node, "'circuit_breaker' must be a mapping {failures, cooldown}");
            var map = Keys(m, "circuit_breaker", "failures", "cooldown");
            return new CircuitBreakerConfig(
                map.TryGetValue("failures", out var f) ? Int(f, "failures", 1, 1000) : RouterConfig.DefaultBreaker.Failures,
                map.TryGetValue("cooldown", out var c) ? Duration(c, "cooldown") : RouterConfig.DefaultBreaker.Cooldown);
        }

        private RetryConfig Retries(YamlNode node)
        {
            if (node is not YamlMappingNode m) throw Error(node, "'retries' must be a mapping {max, backoff_ms}");
            var map = Keys(m, "retries", "max", "backoff_ms");
            return new RetryConfig(
                map.TryGetValue("max", out var x) ? Int(x, "max", 0, 20) : RouterConfig.DefaultRetries.Max,
                map.TryGetValue("backoff_ms", out var b) ? Int(b, "backoff_ms", 0, 60_000) : RouterConfig.DefaultRetries.BackoffMs);
        }

        private Dictionary<string, YamlNode> Keys(YamlMappingNode m, string where, params string[] allowed)
        {
            var result = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
            foreach (var (k, v) in m.Children)
            {
                var key = Scalar(k, "key");
                if (Array.IndexOf(allowed, key) < 0)
                    throw Error(k, $"unknown key '{key}' in {where} (expected one of: {string.Join(", ", allowed)})");
                if (!result.TryAdd(key, v)) throw Error(k, $"duplicate key '{key}' in {where}");
            }
            return result;
        }

        private YamlNode Required(YamlNode parent, Dictionary<string, YamlNode> map, string key, string where) =>
            map.TryGetValue(key, out var v) ? v : throw Error(parent, $"missing required field '{key}' in {where}");

        private string Scalar(YamlNode node, string what) =>
            node is YamlScalarNode s ? s.Value ?? "" : throw Error(node, $"{what} must be a plain value");

        private string NonEmpty(YamlNode node, string what)
        {
            var v = Scalar(node, what);
            return string.IsNullOrWhiteSpace(v) ? throw Error(node, $"{what} must not be empty") : v;
        }

        private int Int(YamlNode node, string what, int min, int max)
        {
            var v = Scalar(node, what);
            if (!int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
                throw Error(node, $"{what} must be an integer in [{min}, {max}], got '{v}'");
            return n;
        }

        /// <summary>"250ms", "5s", "2m" or a bare number of seconds.</summary>
        private TimeSpan Duration(YamlNode node, string what)
        {
            var v = Scalar(node, what).Trim();
            var (num, scale) = v.EndsWith("ms", StringComparison.Ordinal) ? (v[..^2], 0.001)
                : v.EndsWith('s') ? (v[..^1], 1.0)
                : v.EndsWith('m') ? (v[..^1], 60.0)
                : (v, 1.0);
            if (!double.TryParse(num, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || !(d > 0) || d * scale > 86400)
                throw Error(node, $"{what} must be a positive duration like 500ms, 5s or 2m, got '{v}'");
            return TimeSpan.FromSeconds(d * scale);
        }
    }
}
