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

        // Process and runtime metrics come with them (prometheus-net's process collector, the runtime's own meter).
        foreach (var family in (string[])["process_cpu_seconds_total counter", "process_working_set_bytes gauge", "dotnet_gc_collections_total counter",
                     "dotnet_gc_heap_total_allocated_bytes_total counter", "dotnet_thread_pool_work_item_count_total counter"])
            Assert.Contains("# TYPE " + family + "\n", text);
    }
}
