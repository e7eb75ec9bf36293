using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Hearth.Cli.Support;

/// <summary>The interactive `hearth run` loop: streams answers, keeps the conversation, reads """ multi-line """
/// input, and understands /bye, /clear, /set parameter NAME VALUE, /show info and /?.</summary>
internal sealed class ChatSession(IChatBackend backend, string model, TextReader input, TextWriter output, Action<TextWriter> showInfo)
{
    private readonly List<ChatMessage> _messages = [];
    private readonly JsonObject _options = [];

    public IReadOnlyList<ChatMessage> Messages => _messages;
    public JsonObject Options => _options;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await output.WriteAsync(">>> ");
            await output.FlushAsync(cancellationToken);
            var line = await input.ReadLineAsync(cancellationToken);
            if (line is null) break; // end of input (Ctrl+D)
            var trimmed = line.Trim();
            if (trimmed.StartsWith("\"\"\"", StringComparison.Ordinal))
            {
                var text = await ReadMultiLineAsync(trimmed[3..], cancellationToken);
                if (text is null) break;
                if (text.Trim().Length > 0) await SendAsync(text, cancellationToken);
                continue;
            }
            if (trimmed.StartsWith('/'))
            {
                if (!await CommandAsync(trimmed)) break;
                continue;
            }
            if (trimmed.Length > 0) await SendAsync(line, cancellationToken);
        }
    }

    /// <summary>Reads until the closing """; null when the input ends first.</summary>
    private async Task<string?> ReadMultiLineAsync(string first, CancellationToken cancellationToken)
    {
        int close = first.IndexOf("\"\"\"", StringComparison.Ordinal);
        if (close >= 0) return first[..close];
        var sb = new StringBuilder(first);
        while (true)
        {
            await output.WriteAsync("... ");
            await output.FlushAsync(cancellationToken);
            var line = await input.ReadLineAsync(cancellationToken);
            if (line is null) return null;
            close = line.IndexOf("\"\"\"", StringComparison.Ordinal);
            if (sb.Length > 0) sb.Append('\n');
            if (close >= 0) return sb.Append(line[..close]).ToString().TrimEnd('\n');
            sb.Append(line);
        }
    }

    /// <summary>Handles a /command; false on /bye.</summary>
    private async Task<bool> CommandAsync(string text)
    {
        var parts = text.Split([' ', '\t'], 4, StringSplitOptions.RemoveEmptyEntries);
        switch (parts[0])
        {
            case "/bye" or "/exit":
                return false;
            case "/clear":
                _messages.Clear();
                await output.WriteLineAsync("Cleared session context");
                break;
            case "/set" when parts.Length == 4 && parts[1] == "parameter":
                SetParameter(parts[2], parts[3]);
                await output.WriteLineAsync($"Set parameter '{parts[2]}' to '{parts[3]}'");
                break;
            case "/set":
                await output.WriteLineAsync("Usage: /set parameter NAME VALUE  (e.g. /set parameter temperature 0.7)");
                break;
            case "/show" when parts.Length >= 2 && parts[1] == "info":
                showInfo(output);
                break;
            case "/show":
                await output.WriteLineAsync("Usage: /show info");
                break;
            case "/?" or "/help":
                await output.WriteLineAsync("""
                    Available commands:
                      /set parameter NAME VALUE   set a generation option (temperature, top_p, top_k, num_predict, seed, stop ...)
                      /show info                  show the model's details
                      /clear                      forget the conversation so far
                      /bye                        exit
                      /?, /help                   this help
                    Use \"\"\" to begin and end a multi-line message.
                    """.Replace("\\\"", "\"", StringComparison.Ordinal));
                break;
            default:
                await output.WriteLineAsync($"Unknown command '{parts[0]}'. Type /? for help");
                break;
        }
        return true;
    }

    private void SetParameter(string name, string value)
    {
        if (name == "stop")
        {
            if (_options["stop"] is not JsonArray stops) _options["stop"] = stops = [];
            stops.Add((JsonNode)JsonValue.Create(value));
            return;
        }
        _options[name] = long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? JsonValue.Create(l)
            : double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? JsonValue.Create(d)
            : bool.TryParse(value, out var b) ? JsonValue.Create(b)
            : JsonValue.Create(value);
    }

    private async Task SendAsync(string text, CancellationToken cancellationToken)
    {
        _messages.Add(new ChatMessage("user", text));
        var answer = new StringBuilder();
        try
        {
            await foreach (var piece in backend.ChatAsync(model, _messages, _options, cancellationToken))
            {
                answer.Append(piece);
                await output.WriteAsync(piece);
                await output.FlushAsync(cancellationToken);
            }
        }
        catch (CliException e)
        {
            // The conversation goes on; the failed turn is dropped so it is not sent again.
            _messages.RemoveAt(_messages.Count - 1);
            await output.WriteLineAsync();
            await output.WriteLineAsync("Error: " + e.Message);
            return;
        }
        _messages.Add(new ChatMessage("assistant", answer.ToString()));
        await output.WriteLineAsync();
        await output.WriteLineAsync();
    }
}
