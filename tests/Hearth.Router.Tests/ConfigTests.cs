using Hearth.Router.Config;

namespace Hearth.Router.Tests;

public class ConfigTests
{
    private const string Valid = """
        master_key: sk-admin
        database: /tmp/x.db
        health_check: {interval: 500ms, path: /health}
        circuit_breaker: {failures: 4, cooldown: 2s}
        retries: {max: 1, backoff_ms: 10}
        upstreams:
          - {name: a, url: http://127.0.0.1:8001/v1, api_key: ka, models: {default: qwen-a, big: qwen-big}}
          - name: b
            url: http://127.0.0.1:8002/v1
            models: {default: qwen-b}
        models:
          default: {policy: prefix-affinity, fallback: [big], prefix_chars: 64}
          big: {policy: least-outstanding}
        """;

    [Fact]
    public void ValidConfigIsReadCompletely()
    {
        var c = RouterConfigLoader.Parse(Valid);
        Assert.Equal("sk-admin", c.MasterKey);
        Assert.Equal("/tmp/x.db", c.Database);
        Assert.Equal(TimeSpan.FromMilliseconds(500), c.HealthCheck!.Interval);
        Assert.Equal("/health", c.HealthCheck.Path);
        Assert.Equal(new CircuitBreakerConfig(4, TimeSpan.FromSeconds(2)), c.CircuitBreaker);
        Assert.Equal(new RetryConfig(1, 10), c.Retries);
        Assert.Equal(["a", "b"], c.Upstreams.Select(u => u.Name));
        Assert.Equal("http://127.0.0.1:8001/v1/", c.Upstreams[0].Url.AbsoluteUri);
        Assert.Equal("ka", c.Upstreams[0].ApiKey);
        Assert.Null(c.Upstreams[1].ApiKey);
        Assert.Equal("qwen-big", c.Upstreams[0].Models["big"]);
        Assert.Equal(RoutingPolicy.PrefixAffinity, c.Models["default"].Policy);
        Assert.Equal(["big"], c.Models["default"].Fallback);
        Assert.Equal(64, c.Models["default"].PrefixChars);
        Assert.Equal(RoutingPolicy.LeastOutstanding, c.Models["big"].Policy);
        Assert.Equal(RouterConfig.DefaultPrefixChars, c.Models["big"].PrefixChars);
    }

    [Theory]
    [InlineData("models:\n  default: {polcy: least-outstanding}", "router.yaml:9:13: unknown key 'polcy' in model 'default'")]
    [InlineData("models:\n  default: {policy: random}", "router.yaml:9:21: model 'default': unknown policy 'random'")]
    [InlineData("models:\n  default: {fallback: [nope]}", "router.yaml:9:24: fallback to unknown model 'nope'")]
    [InlineData("models:\n  default: {}\n  extra: {}", "router.yaml:10:3: model 'extra' is not served by any upstream")]
    [InlineData("models:\n  default: {}\nretries: {max: many}", "router.yaml:10:16: max must be an integer in [0, 20], got 'many'")]
    [InlineData("models:\n  default: {}\nhealth_check: {interval: soon}", "router.yaml:10:26: interval must be a positive duration")]
    [InlineData("models:\n  default: {}\nmaster_ky: x", "router.yaml:10:1: unknown key 'master_ky' in top level")]
    public void ErrorsCarryLineAndColumn(string tail, string expectedStart)
    {
        // Lines 1-7 are the upstreams block; the tail starts on line 8.
        var yaml = """
            upstreams:
              - name: a
                url: http://127.0.0.1:8001/v1
                models: {default: m}
              - name: b
                url: http://127.0.0.1:8002/v1
                models: {default: m}

            """ + tail;
        var e = Assert.Throws<RouterConfigException>(() => RouterConfigLoader.Parse(yaml));
        Assert.StartsWith(expectedStart, e.Message);
    }

    [Theory]
    [InlineData("  - {name: a, url: ftp://x/v1, models: {default: m}}", "router.yaml:2:20: upstream 'a': url 'ftp://x/v1' is not an http:// or https:// URL")]
    [InlineData("  - {name: a, url: not a url, models: {default: m}}", "router.yaml:2:20: upstream 'a': url 'not a url'")]
    [InlineData("  - {name: a, models: {default: m}}", "router.yaml:2:5: missing required field 'url' in upstream 'a'")]
    [InlineData("  - {url: http://h/v1, models: {default: m}}", "router.yaml:2:5: missing required field 'name' in upstream")]
    [InlineData("  - {name: a, url: http://h/v1, models: {other: m}}", "router.yaml:2:5: upstream 'a' serves model 'other', which is not declared under 'models'")]
    [InlineData("  - {name: a, url: http://h/v1, weight: 2, models: {default: m}}", "router.yaml:2:33: unknown key 'weight' in upstream")]
    public void UpstreamErrors(string upstreamLine, string expectedStart)
    {
        var yaml = "upstreams:\n" + upstreamLine + "\nmodels:\n  default: {}\n";
        var e = Assert.Throws<RouterConfigException>(() => RouterConfigLoader.Parse(yaml));
        Assert.StartsWith(expectedStart, e.Message);
    }

    [Fact]
    public void MissingSectionsAndBadYamlAreReported()
    {
        Assert.StartsWith("router.yaml:1:1: missing required field 'models' in top level",
            Assert.Throws<RouterConfigException>(() => RouterConfigLoader.Parse("upstreams:\n  - {name: a, url: http://h/v1, models: {default: m}}\n")).Message);
        Assert.StartsWith("router.yaml:2:",
            Assert.Throws<RouterConfigException>(() => RouterConfigLoader.Parse("upstreams:\n  bad: x: y\n")).Message);
        Assert.StartsWith("router.yaml:1:1: expected a mapping",
            Assert.Throws<RouterConfigException>(() => RouterConfigLoader.Parse("- just\n- a list\n")).Message);
        Assert.Equal("/nope/router.yaml: file not found",
            Assert.Throws<RouterConfigException>(() => RouterConfigLoader.LoadFile("/nope/router.yaml")).Message);
    }
}
