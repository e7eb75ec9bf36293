using System.CommandLine;
using Hearth.Core.Gguf;
using Hearth.Engine;
using Hearth.Store;

namespace Hearth.Cli.Support;

/// <summary>Runs a command body and turns every expected failure into one line on stderr and exit code 1
/// (Ctrl+C: 130), so that no command ever ends in a stack trace.</summary>
internal static class CommandRunner
{
    public static void SetAction(Command command, Func<ParseResult, CliContext, CancellationToken, Task<int>> body) =>
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            try
            {
                return await body(parseResult, CliContext.Current, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await error.WriteLineAsync("Error: cancelled");
                return 130;
            }
            catch (Exception e) when (e is CliException or ModelStoreException or ModelfileException or ModelNotFoundException
                                          or ArgumentException or GgufException or IOException or HttpRequestException
                                          or UnauthorizedAccessException or InvalidDataException)
            {
                await error.WriteLineAsync("Error: " + OneLine(e.Message));
                return 1;
            }
        });

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
