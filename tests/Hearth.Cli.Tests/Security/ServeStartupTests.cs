using System.Diagnostics;

namespace Hearth.Cli.Tests.Security;

/// <summary>`hearth serve` start-up rules (issue 13 items 1 and 10): empty keys and exposed addresses without a key
/// are errors, the start-up line states the auth mode, and a port in use is one line with no stack trace.</summary>
public sealed class ServeStartupTests : IDisposable
{
    private readonly CliHarness _cli = new();
    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task EmptyKeysAndKeylessExposureAreStartUpErrors()
    {
        var empty = await _cli.RunAsync("serve", "--api-key", "", "--port", "0");
        Assert.Equal((1, "Error: --api-key is empty (an unset shell variable?); give a key, or drop --api-key to serve without one\n"), (empty.ExitCode, empty.Err));

        var file = Path.Combine(_cli.Home, "keys.txt");
        await File.WriteAllTextAsync(file, "\n\n");
        var blank = await _cli.RunAsync("serve", "--api-key-file", file, "--port", "0");
        Assert.Equal(1, blank.ExitCode);
        Assert.StartsWith($"Error: API key file '{file}' has no key", blank.Err);

        var exposed = await _cli.RunAsync("serve", "--host", "0.0.0.0", "--port", "0");
        Assert.Equal(1, exposed.ExitCode);
        Assert.Contains("Add a key with --api-key KEY or --api-key-file FILE", exposed.Err);
        Assert.Contains("--allow-unauthenticated", exposed.Err);
    }

    [Fact]
    public async Task StartUpLineStatesTheAuthModeAndAPortInUseIsOneLine()
    {
        var port = CliHarness.FreePort();
        using var serve = Start("serve", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--api-key", "sk-test");
        try
        {
            string? line;
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            do line = await serve.StandardOutput.ReadLineAsync(cts.Token);
            while (line is not null && !line.StartsWith("hearth: serving", StringComparison.Ordinal));
            Assert.NotNull(line);
            Assert.Contains("(localhost only; use --host 0.0.0.0 to accept other machines; auth: API key required (1 key))", line);

            // A second server on the same port.
            using var second = Start("serve", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var stdout = second.StandardOutput.ReadToEndAsync(cts.Token);
            var stderr = second.StandardError.ReadToEndAsync(cts.Token);
            await second.WaitForExitAsync(cts.Token);
            Assert.Equal(1, second.ExitCode);
            Assert.Equal($"Error: port {port} on 127.0.0.1 is already in use (is another hearth running?); stop it or pick another with --port\n", await stderr);
            Assert.DoesNotContain("   at ", await stdout);
            Assert.DoesNotContain("Exception", await stdout);
        }
        finally
        {
            serve.Kill(entireProcessTree: true);
            await serve.WaitForExitAsync();
        }
    }

    private Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "hearth.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["HEARTH_HOME"] = _cli.Home;
        psi.Environment["HEARTH_HOST"] = "127.0.0.1:" + CliHarness.FreePort();
        return Process.Start(psi)!;
    }
}
