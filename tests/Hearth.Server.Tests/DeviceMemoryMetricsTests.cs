using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Hearth.Engine;
using Hearth.Metrics;
using Hearth.Server.Metrics;

namespace Hearth.Server.Tests;

/// <summary>/metrics carries device memory gauges for models whose engine reports them (a model on a GPU) and none for
/// models on the CPU.</summary>
public sealed class DeviceMemoryMetricsTests
{
    private sealed class StatsEngine(EngineStats stats) : IGenerationEngine
    {
        public ChannelReader<GenerationDelta> Submit(GenerationRequest request, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
        public EngineStats GetStats() => stats;
        public EngineLimits Limits { get; } = new(512, 512, 100, 4);
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    [Fact]
    public async Task GpuModelsReportDeviceMemoryAndCpuModelsDoNot()
    {
        using var meter = new Meter(ServerMetrics.MeterName);
        var metrics = new ServerMetrics(meter, () => ["on-gpu", "on-cpu"]);
        using var exporter = new PrometheusMeterExporter(meter);
        metrics.TrackEngine("on-gpu", new StatsEngine(new EngineStats { DeviceMemoryUsedBytes = 3L << 30, DeviceMemoryTotalBytes = 80L << 30 }));
        metrics.TrackEngine("on-cpu", new StatsEngine(new EngineStats()));
        var text = await exporter.RenderAsync();
        Assert.Contains("hearth:device_memory_used_bytes{model_name=\"on-gpu\"} 3221225472\n", text);
        Assert.Contains("hearth:device_memory_total_bytes{model_name=\"on-gpu\"} 85899345920\n", text);
        Assert.DoesNotContain("device_memory_used_bytes{model_name=\"on-cpu\"}", text);
    }
}
