using Hearth.Gpu;
using Hearth.Tests;

namespace Hearth.Cli.Tests.Commands;

/// <summary>`--device`: cuda without CUDA fails with the reason, auto states its choice, bad values are refused.
/// (These assert this machine's lack of CUDA; on a CUDA machine they skip, as the answer is then a GPU.)</summary>
public sealed class DeviceOptionTests
{
    private static bool HasCuda => CudaProbe.IsAvailable(out _);

    [Fact]
    public async Task CudaWithoutCudaFailsWithTheReason()
    {
        if (HasCuda) return;
        using var cli = new CliHarness();
        var serve = await cli.RunAsync(["serve", "--device", "cuda", "--port", "0"]);
        Assert.Equal(1, serve.ExitCode);
        Assert.Contains("--device cuda: CUDA is not available here", serve.Err);
        Assert.Contains("libcuda", serve.Err);

        var generate = await cli.RunAsync(["generate", "--device", "cuda", "--model", TestPaths.EmbeddedModel, "--prompt", "Once"]);
        Assert.Equal(1, generate.ExitCode); // generate reports on the process's stderr, which the harness does not capture
    }

    [Fact]
    public async Task AutoFallsBackToTheCpuAndSaysWhy()
    {
        if (HasCuda) return;
        using var cli = new CliHarness();
        var r = await cli.RunAsync(["generate", "--device", "auto", "--model", TestPaths.EmbeddedModel, "--prompt", "Once upon a time", "--max-tokens", "4"]);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("cpu", Support.DeviceSelection.Resolve("auto", out var why).ToString().ToLowerInvariant());
        Assert.StartsWith("cpu (auto: no CUDA: ", why);
    }

    [Theory]
    [InlineData("--device", "tpu")]
    [InlineData("--gpu-memory-utilization", "0")]
    [InlineData("--gpu-memory-utilization", "1.5")]
    public async Task BadValuesAreRefused(string option, string value)
    {
        using var cli = new CliHarness();
        var r = await cli.RunAsync(["serve", option, value, "--port", "0"]);
        Assert.NotEqual(0, r.ExitCode);
    }
}
