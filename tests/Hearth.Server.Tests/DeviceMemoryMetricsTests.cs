using System.Diagnostics.Metrics;
using Hearth.Engine;
using Hearth.Metrics;
using Hearth.Server.Metrics;
using Hearth.Server.Tests.Fakes;

namespace Hearth.Server.Tests;

/// <summary>/metrics carries device memory gauges for models whose engine reports them (a model on a GPU) and none for
/// models on the CPU.</summary>
public sealed class DeviceMemoryMetricsTests
{
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
