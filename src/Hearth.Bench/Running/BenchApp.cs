using Hearth.Bench.Reports;
using Hearth.Bench.Workloads;
using Hearth.Core.Tokenizers;

namespace Hearth.Bench.Running;

/// <summary>The whole `hearth bench` run once options are parsed: validate, run the sweep with console
/// progress, print the summary, write the JSON and HTML files. Returns the process exit code: 0 when every
/// server answered (failed requests are data, not an error), 1 when a server's warm-up failed or nothing
/// completed, 2 for invalid options, 130 when interrupted.</summary>
public static class BenchApp
{
    public static async Task<int> RunAsync(BenchConfig config, ITokenizer? tokenizer, string? jsonPath, string? htmlPath,
        TextWriter output, TextWriter error, bool interactive, CancellationToken ct, Spectre.Console.IAnsiConsole? liveConsole = null)
    {
        if (config.Validate() is { } problem)
        {
            error.WriteLine("hearth bench: " + problem);
            return 2;
        }
        foreach (var path in new[] { jsonPath, htmlPath })
        {
            var dir = path is null ? null : Path.GetDirectoryName(Path.GetFullPath(path));
            if (dir is not null && !Directory.Exists(dir))
            {
                error.WriteLine($"hearth bench: output folder does not exist: {dir}");
                return 2;
            }
        }

        BenchReport report;
        using (IBenchReporter console = liveConsole is not null ? new LiveBenchReporter(liveConsole) : new ConsoleReporter(output, interactive))
        {
            try
            {
                var builder = new WorkloadBuilder(config.Workload, new PromptFactory(tokenizer), config.Seed);
                output.WriteLine($"hearth bench: {Fmt.LevelName(config.Mode)} {string.Join(",", config.Levels.Select(l => Fmt.Level(config.Mode, l)))}; {builder.Note}");
                report = await BenchRunner.RunAsync(config, builder, console, ct).ConfigureAwait(false);
            }
            catch (FormatException e)
            {
                error.WriteLine("hearth bench: " + e.Message);
                return 2;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                error.WriteLine("hearth bench: interrupted; no report written");
                return 130;
            }
            console.WriteSummary(report);
        }

        if (jsonPath is not null)
        {
            JsonReport.Write(report, jsonPath);
            output.WriteLine($"wrote {jsonPath}");
        }
        if (htmlPath is not null)
        {
            HtmlReport.Write(report, htmlPath);
            output.WriteLine($"wrote {htmlPath}");
        }
        bool warmupFailed = report.Targets.Any(t => t.WarmupError is not null);
        bool nothingCompleted = report.Targets.All(t => t.Levels.All(l => l.Metrics.Completed == 0));
        return warmupFailed || nothingCompleted ? 1 : 0;
    }

    /// <summary>Parses "1,4,16,64" (or "0.5,1,2") into levels; throws FormatException naming the option.</summary>
    public static IReadOnlyList<double> ParseLevels(string text, string option)
    {
        var list = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v)
                || !double.IsFinite(v))
                throw new FormatException($"{option}: '{part}' is not a number (give a comma-separated list, e.g. 1,4,16)");
            list.Add(v);
        }
        if (list.Count == 0) throw new FormatException($"{option}: give at least one value");
        return list;
    }
}
