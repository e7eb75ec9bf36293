using System.Diagnostics;

namespace Hearth.Cli.Tests.Commands;

public sealed class ProcessConcurrencyTests : IDisposable
{
    private readonly CliHarness _cli = new();
    public void Dispose() => _cli.Dispose();

    /// <summary>Several `hearth` processes write manifests into one store at once (the file lock serialises them).</summary>
    [Fact]
    public async Task ConcurrentProcessesAllLandTheirModels()
    {
        var mf = _cli.WriteModelfile($"FROM {CliHarness.Gguf}");
        Assert.Equal(0, (await _cli.RunAsync("create", "base", "-f", mf)).ExitCode);
        var dll = Path.Combine(AppContext.BaseDirectory, "hearth.dll");
        Assert.True(File.Exists(dll), dll);

        var processes = Enumerable.Range(0, 4).Select(i =>
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { dll, "cp", "base", $"copy{i}" }) psi.ArgumentList.Add(a);
            psi.Environment["HEARTH_HOME"] = _cli.Home;
            return Process.Start(psi)!;
        }).ToArray();
        foreach (var p in processes)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var stdout = p.StandardOutput.ReadToEndAsync(cts.Token);
            var stderr = p.StandardError.ReadToEndAsync(cts.Token);
            await p.WaitForExitAsync(cts.Token);
            Assert.Equal((0, ""), (p.ExitCode, await stderr));
            Assert.StartsWith("copied 'base' to 'copy", await stdout);
            p.Dispose();
        }
        var list = (await _cli.RunAsync("list")).Out;
        for (int i = 0; i < 4; i++) Assert.Contains($"copy{i}:latest", list);
        Assert.Equal(6, list.TrimEnd('\n').Split('\n').Length);
    }
}
