using Hearth.Cli.Commands;
using Hearth.Core.Gguf;
using Hearth.Core.Tokenizers;
using Hearth.Cpu;
using Hearth.Engine.Models;
using Hearth.Tests;

namespace Hearth.Cli.Tests.Commands;

/// <summary>`hearth bench-offline`'s measurement on the embedded model: every figure is present and in range.</summary>
public class OfflineBenchmarkTests
{
    [Fact]
    public void OfflineBenchmarkReportsSaneFigures()
    {
        using var gguf = GgufFile.Open(TestPaths.EmbeddedModel);
        using var backend = new CpuBackend(1);
        using var model = DecoderModel.Load(gguf, backend);
        var r = OfflineBenchmark.Run(model, TokenizerFactory.FromGguf(gguf),
            new OfflineBenchmarkOptions { Requests = 4, InputLength = 16, OutputLength = 8, PrefixLength = 300 });
        Assert.True(r.SequentialTokensPerSecond > 0 && r.ConcurrentTokensPerSecond > 0);
        Assert.Equal(288, r.SharedPrefixCachedTokens); // 300-token prefix: 18 full blocks of 16 (the rest differs)
        Assert.InRange(r.KvUnusedPercent, 0, 100);
        Assert.InRange(r.MixedKvUnusedPercent, 0, 100);
        // Both runs had pure decode steps (1 and 4 sequences wide) to time; NaN would mean none was recognised.
        Assert.True(r.SingleDecodeStepMs > 0 && r.BatchedDecodeStepMs > 0, $"{r.SingleDecodeStepMs} / {r.BatchedDecodeStepMs}");
    }
}
