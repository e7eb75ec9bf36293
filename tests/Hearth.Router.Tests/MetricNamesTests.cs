using System.Net.Http.Headers;
using Hearth.Tests;

namespace Hearth.Router.Tests;

/// <summary>The names, label names and types of every hearth_router_* series on the router's /metrics stay exactly
/// those of the committed list (tests/fixtures/metrics/router.txt, captured from the hand-written exporter before the
/// move to System.Diagnostics.Metrics).</summary>
public sealed class MetricNamesTests
{
    private const string Yaml = """
        master_key: sk-master
        upstreams:
          - {name: a, url: "{a}", models: {m: m}}
        models:
          m: {}
        """;

    [Fact]
    public async Task EveryRouterSeriesKeepsItsNameLabelsAndType()
    {
        await using var bed = await RouterTestBed.StartAsync(Yaml, "a");
        using (var r = await bed.ChatAsync("m", key: "sk-master")) r.EnsureSuccessStatusCode();
        using var req = new HttpRequestMessage(HttpMethod.Get, "metrics");
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-master");
        using var res = await bed.Client.SendAsync(req);
        var text = await res.Content.ReadAsStringAsync();

        var expected = MetricSignatures.Committed("router.txt");
        var actual = new SortedSet<string>(MetricSignatures.Of(text, "hearth_router_").Concat(MetricSignatures.Types(text, "hearth_router_").Select(t => "TYPE " + t)), StringComparer.Ordinal);
        Assert.Equal(string.Join("\n", expected), string.Join("\n", actual));
    }
}
