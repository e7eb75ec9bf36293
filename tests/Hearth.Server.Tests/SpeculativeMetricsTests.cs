using System.Diagnostics.Metrics;
using Hearth.Engine;
using Hearth.Engine.Speculative;
using Hearth.Metrics;
using Hearth.Server.Metrics;
using Hearth.Server.Tests.Fakes;

namespace Hearth.Server.Tests;

/// <summary>/metrics carries the speculative decoding counters (vLLM's spec_decode_* series, labelled by method, and
/// per draft position) for models whose engine speculates, and none for the others.</summary>
public sealed class SpeculativeMetricsTests
{
    [Fact]
    public async Task SpeculatingModelsReportDraftsAndAcceptanceByMethodAndPosition()
    {
        using var meter = new Meter(ServerMetrics.MeterName);
        var metrics = new ServerMetrics(meter, () => ["spec", "plain"]);
        using var exporter = new PrometheusMeterExporter(meter);
        metrics.TrackEngine("spec", new StatsEngine(new EngineStats { Speculative = new SpeculativeDecodingStats("draft", 12, 48, 30, [11, 9, 6, 4]) }));
        metrics.TrackEngine("plain", new StatsEngine(new EngineStats()));
        var text = await exporter.RenderAsync();
        Assert.Contains("hearth:spec_decode_num_drafts_total{model_name=\"spec\",method=\"draft\"} 12\n", text);
        Assert.Contains("hearth:spec_decode_num_draft_tokens_total{model_name=\"spec\",method=\"draft\"} 48\n", text);
        Assert.Contains("hearth:spec_decode_num_accepted_tokens_total{model_name=\"spec\",method=\"draft\"} 30\n", text);
        Assert.Contains("hearth:spec_decode_num_accepted_tokens_per_pos_total{model_name=\"spec\",method=\"draft\",position=\"0\"} 11\n", text);
        Assert.Contains("hearth:spec_decode_num_accepted_tokens_per_pos_total{model_name=\"spec\",method=\"draft\",position=\"3\"} 4\n", text);
        Assert.DoesNotContain("model_name=\"plain\",method", text);
    }
}
