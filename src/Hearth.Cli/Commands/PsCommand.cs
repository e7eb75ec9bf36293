using System.CommandLine;
using System.Globalization;
using Hearth.Cli.Support;

namespace Hearth.Cli.Commands;

/// <summary>`hearth ps`: the models a running server has loaded (asks its /api/ps).</summary>
internal static class PsCommand
{
    public static Command Create()
    {
        var host = HostOption();
        var command = new Command("ps", "List the models a running server has loaded") { host };
        CommandRunner.SetAction(command, async (parse, ctx, ct) =>
        {
            await using var client = new ServerClient(ctx.ServerUri(parse.GetValue(host)));
            var ps = await client.GetAsync("api/ps", ct);
            var now = DateTimeOffset.UtcNow;
            var rows = new List<string[]> { new[] { "NAME", "ID", "SIZE", "PROCESSOR", "UNTIL" } };
            foreach (var m in ps["models"]?.AsArray() ?? [])
            {
                if (m is null) continue;
                var digest = m["digest"]?.ToString() ?? "";
                long size = m["size"]?.GetValue<long>() ?? 0;
                long vram = m["size_vram"]?.GetValue<long>() ?? 0;
                string processor = vram <= 0 ? "100% CPU" : vram >= size ? "100% GPU" : $"{100 * (size - vram) / size}%/{100 * vram / size}% CPU/GPU";
                string until = DateTimeOffset.TryParse(m["expires_at"]?.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expires)
                    ? Format.Until(expires, now) : "";
                rows.Add([m["name"]?.ToString() ?? "", digest.Length >= 12 ? digest[..12] : digest, Format.Bytes(size), processor, until]);
            }
            ConsoleStyle.Table(parse.InvocationConfiguration.Output, ctx.OutputIsTerminal, rows);
            return 0;
        });
        return command;
    }

    internal static Option<string?> HostOption() =>
        new("--host") { Description = "Server address (default: $HEARTH_HOST or 127.0.0.1:11435)" };
}
