using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Hearth.Router.Config;

/// <summary>Reads router YAML into <see cref="RouterConfig"/>, rejecting unknown keys, missing fields, bad URLs,
/// unknown policies and fallbacks to undeclared models with "file:line:col: message" errors.</summary>
/// <remarks>Shape:
/// <code>
/// master_key: sk-admin            # optional (or env:NAME); without it the router is open
/// allowed_origins: [https://ui.example.com]   # optional browser origins besides localhost ones
/// allowed_hosts: [router.internal]            # optional Host names besides localhost ones
/// database: router.db             # optional SQLite file for keys and usage (default: in memory)
/// postgres: env:HEARTH_PG         # or: keys and usage in PostgreSQL, shared by router replicas (Npgsql connection string)
/// redis: 127.0.0.1:6379           # optional: requests/min, tokens/min and budgets shared exactly across replicas
/// health_check: {interval: 5s, path: /health}
/// circuit_breaker: {failures: 3, cooldown: 30s}
/// retries: {max: 2, backoff_ms: 50}
/// upstreams:
///   - {name: a, url: http://127.0.0.1:8001/v1, api_key: k, models: {default: qwen2.5-0.5b}}
/// models:
///   default: {policy: least-outstanding, fallback: [], prefix_chars: 256}   # or round-robin, prefix-affinity,
///                                   # kv-aware (load_weight: 0.25; upstreams must be `hearth serve`)
/// discovery:                      # optional: upstreams from a Kubernetes Service's endpoints (then 'upstreams' may be omitted)
///   kubernetes: {service: hearth-serve, port: http, namespace: hearth}
///   api_key: env:HEARTH_UPSTREAM_KEY
///   models: {default: tinystories}
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
            var map = Keys(root, "top level", "upstreams", "models", "master_key", "database", "postgres", "redis", "discovery", "health_check", "circuit_breaker", "retries",
                "allowed_origins", "allowed_hosts");
            if (map.ContainsKey("database") && map.TryGetValue("postgres", out var both))
                throw Error(both, "'database' (SQLite) and 'postgres' both name where keys and usage live; keep one");
            var discovery = map.TryGetValue("discovery", out var dn) ? Discovery(dn) : null;
            var upstreams = new List<UpstreamConfig>();
            var upstreamNodes = new Dictionary<string, YamlNode>();
            YamlSequenceNode? seq = null;
            if (discovery is null || map.ContainsKey("upstreams"))
            {
                var upstreamsNode = Required(root, map, "upstreams", "top level");
                seq = upstreamsNode as YamlSequenceNode;
                if (seq is null || seq.Children.Count == 0) throw Error(upstreamsNode, "'upstreams' must be a non-empty list");
            }
            foreach (var u in seq?.Children ?? [])
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
            if (discovery is not null)
                foreach (var m in discovery.Models.Keys)
                    if (!models.ContainsKey(m)) throw Error(dn!, $"discovery serves model '{m}', which is not declared under 'models'");
            foreach (var (name, _) in models)
                if (!upstreams.Any(u => u.Models.ContainsKey(name)) && discovery?.Models.ContainsKey(name) != true)
                    throw Error(modelsMap.Children.First(c => ((YamlScalarNode)c.Key).Value == name).Key, $"model '{name}' is not served by any upstream");

            return new RouterConfig(upstreams, models,
                map.TryGetValue("master_key", out var mk) ? Secret(mk, "master_key") : null,
                map.TryGetValue("database", out var db) ? NonEmpty(db, "database") : null,
                map.TryGetValue("health_check", out var hc) ? Health(hc) : null,
                map.TryGetValue("circuit_breaker", out var cb) ? Breaker(cb) : RouterConfig.DefaultBreaker,
                map.TryGetValue("retries", out var r) ? Retries(r) : RouterConfig.DefaultRetries,
                map.TryGetValue("postgres", out var pg) ? Secret(pg, "postgres") : null,
                map.TryGetValue("redis", out var rd) ? Secret(rd, "redis") : null,
                discovery)
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
            var key = map.TryGetValue("api_key", out var kn) ? Secret(kn, $"upstream '{name}': api_key") : null;
            // Normalise so relative paths ("chat/completions") append under /v1.
            var baseUrl = new Uri(url.AbsoluteUri.EndsWith('/') ? url.AbsoluteUri : url.AbsoluteUri + "/");
            return new UpstreamConfig(name, baseUrl, key, models);
        }

        private ModelConfig Model(string name, YamlNode node, List<(YamlNode, string)> fallbackNodes)
        {
            if (node is YamlScalarNode { Value: null or "" }) return new ModelConfig(name, RoutingPolicy.LeastOutstanding, [], RouterConfig.DefaultPrefixChars);
            if (node is not YamlMappingNode m) throw Error(node, $"model '{name}' must be a mapping {{policy, fallback}}");
            var map = Keys(m, $"model '{name}'", "policy", "fallback", "prefix_chars", "load_weight");
            var policy = RoutingPolicy.LeastOutstanding;
            if (map.TryGetValue("policy", out var p))
                policy = Scalar(p, "policy") switch
                {
                    "least-outstanding" => RoutingPolicy.LeastOutstanding,
                    "prefix-affinity" => RoutingPolicy.PrefixAffinity,
                    "round-robin" => RoutingPolicy.RoundRobin,
                    "kv-aware" => RoutingPolicy.KvAware,
                    var other => throw Error(p, $"model '{name}': unknown policy '{other}' (expected least-outstanding, round-robin, prefix-affinity or kv-aware)"),
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
            var loadWeight = ModelConfig.DefaultLoadWeight;
            if (map.TryGetValue("load_weight", out var lw))
            {
                if (policy != RoutingPolicy.KvAware) throw Error(lw, $"model '{name}': load_weight applies to policy kv-aware only");
                var v = Scalar(lw, "load_weight");
                if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out loadWeight) || !(loadWeight >= 0) || loadWeight > 1000)
                    throw Error(lw, $"model '{name}': load_weight must be a number in [0, 1000], got '{v}'");
            }
            return new ModelConfig(name, policy, fallback, prefix, loadWeight);
        }

        private DiscoveryConfig Discovery(YamlNode node)
        {
            if (node is not YamlMappingNode m) throw Error(node, "'discovery' must be a mapping {kubernetes, models}");
            var map = Keys(m, "discovery", "kubernetes", "scheme", "path", "api_key", "models");
            var k8sNode = Required(m, map, "kubernetes", "discovery");
            if (k8sNode is not YamlMappingNode km) throw Error(k8sNode, "'discovery.kubernetes' must be a mapping {service, port}");
            var k = Keys(km, "discovery.kubernetes", "service", "namespace", "port", "api_server");
            var service = NonEmpty(Required(km, k, "service", "discovery.kubernetes"), "service");
            var port = k.TryGetValue("port", out var pn) ? NonEmpty(pn, "port") : "http";
            Uri? apiServer = null;
            if (k.TryGetValue("api_server", out var an) && (!Uri.TryCreate(NonEmpty(an, "api_server"), UriKind.Absolute, out apiServer) || apiServer.Scheme is not ("http" or "https")))
                throw Error(an, "discovery.kubernetes.api_server must be an http:// or https:// URL");
            var scheme = map.TryGetValue("scheme", out var sn) ? Scalar(sn, "scheme") : "http";
            if (scheme is not ("http" or "https")) throw Error(sn!, $"discovery scheme must be http or https, got '{scheme}'");
            var path = map.TryGetValue("path", out var pa) ? NonEmpty(pa, "path") : "/v1";
            if (!path.StartsWith('/')) throw Error(pa!, $"discovery path '{path}' must start with '/'");
            var modelsNode = Required(m, map, "models", "discovery");
            if (modelsNode is not YamlMappingNode mm || mm.Children.Count == 0)
                throw Error(modelsNode, "discovery 'models' must map router model names to model ids on each replica");
            var models = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (mk, mv) in mm.Children) models[Scalar(mk, "model name")] = NonEmpty(mv, "model id");
            return new DiscoveryConfig(service, k.TryGetValue("namespace", out var ns) ? NonEmpty(ns, "namespace") : null, port, scheme, path,
                map.TryGetValue("api_key", out var key) ? Secret(key, "discovery api_key") : null, models, apiServer);
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

        /// <summary>A non-empty value, or <c>env:NAME</c> for the value of an environment variable (keeps secrets out of the file).</summary>
        private string Secret(YamlNode node, string what)
        {
            var v = NonEmpty(node, what);
            if (!v.StartsWith("env:", StringComparison.Ordinal)) return v;
            var value = Environment.GetEnvironmentVariable(v[4..]);
            return string.IsNullOrWhiteSpace(value) ? throw Error(node, $"{what}: environment variable {v[4..]} is not set") : value;
        }

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
