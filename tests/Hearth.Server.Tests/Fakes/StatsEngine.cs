using System.Threading.Channels;
using Hearth.Engine;

namespace Hearth.Server.Tests.Fakes;

/// <summary>An engine that only reports the given stats (for /metrics tests); it takes no requests.</summary>
internal sealed class StatsEngine(EngineStats stats) : IGenerationEngine
{
    public ChannelReader<GenerationDelta> Submit(GenerationRequest request, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();
    public EngineStats GetStats() => stats;
    public EngineLimits Limits { get; } = new(512, 512, 100, 4);
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
