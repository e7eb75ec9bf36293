using Hearth.Tests;

namespace Hearth.Server.Tests;

/// <summary>The names, label names and types of every hearth:* series on /metrics stay exactly those of the committed
/// list (tests/fixtures/metrics/server.txt, captured from the hand-written exporter before the move to
/// System.Diagnostics.Metrics): dashboards and the web UI read them by name.</summary>
public sealed class MetricNamesTests
{
    [Fact]
    public async Task EveryHearthSeriesKeepsItsNameLabelsAndType()
    {
        await using var host = TestHost.Start();
        host.Engine.DeviceMemory = (3L << 30, 80L << 30);
        host.Engine.Speculative = new("ngram", 10, 40, 25, [9, 8, 5, 3]);
        Assert.Equal(200, (await Http.PostAsync(host.Http, "v1/completions", "{\"model\":\"fake\",\"prompt\":\"Hello\"}")).Status);
        Assert.Equal(200, (await Http.PostAsync(host.Http, "v1/completions", "{\"model\":\"fake\",\"prompt\":\"Hello\",\"max_tokens\":2}")).Status);
        var text = await host.Http.GetStringAsync("metrics");

        var expected = MetricSignatures.Committed("server.txt");
        var actual = new SortedSet<string>(MetricSignatures.Of(text, "hearth:").Concat(MetricSignatures.Types(text, "hearth:").Select(t => "TYPE " + t)), StringComparer.Ordinal);
        Assert.Equal(string.Join("\n", expected), string.Join("\n", actual));

        // Process and runtime metrics come with them (prometheus-net's process collector, the runtime's own meter).
        foreach (var family in (string[])["process_cpu_seconds_total counter", "process_working_set_bytes gauge", "dotnet_gc_collections_total counter",
                     "dotnet_gc_heap_total_allocated_bytes_total counter", "dotnet_thread_pool_work_item_count_total counter"])
            Assert.Contains("# TYPE " + family + "\n", text);
    }
}
