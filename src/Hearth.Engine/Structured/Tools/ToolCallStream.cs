using System.Text;

namespace Hearth.Engine.Structured.Tools;

/// <summary>Splits a streamed answer: plain content passes through as it comes; from the point where a tool call may
/// begin (the family's marker, or for JSON families an answer that opens with '{', '[' or &lt;|python_tag|&gt;) the
/// text is held, and the calls in it go out as they form: a call's id and name once its name is complete and its
/// arguments have begun, then its arguments in fragments (minified, so they add up to the final arguments exactly).
/// <see cref="Finish"/> parses the whole answer and sends what is left. Text that might be the start of a marker is
/// held until it is known not to be one, so content never shows a marker.</summary>
public sealed class ToolCallStream(ToolCallFormat format)
{
    private readonly StringBuilder _all = new();
    private readonly List<StartedCall> _started = [];
    private int _emitted;
    private int _holdFrom = -1;

    private sealed class StartedCall(string id, string name)
    {
        public string Id { get; } = id;
        public string Name { get; } = name;
        public string Sent { get; set; } = "";
    }

    /// <summary>Adds streamed text; returns the content that may be sent now and the call events it completed.</summary>
    public StreamedPiece Push(string text)
    {
        _all.Append(text);
        if (_holdFrom >= 0) return new StreamedPiece("", CallEvents(_all.ToString()));
        string content = PushContent();
        return new StreamedPiece(content, _holdFrom >= 0 ? CallEvents(_all.ToString()) : []);
    }

    private string PushContent()
    {
        string pending = _all.ToString(_emitted, _all.Length - _emitted);
        string? marker = format switch
        {
            ToolCallFormat.Hermes => ToolCallParser.HermesOpen,
            ToolCallFormat.Mistral => ToolCallParser.MistralMarker,
            _ => null,
        };
        if (marker is null)
        {
            if (_emitted > 0) return Emit(pending.Length);
            string start = pending.TrimStart();
            if (start.Length == 0) return "";
            if (start[0] is '{' or '[' || start.StartsWith(ToolCallParser.PythonTag, StringComparison.Ordinal))
            {
                _holdFrom = 0;
                return "";
            }
            return ToolCallParser.PythonTag.StartsWith(start, StringComparison.Ordinal) ? "" : Emit(pending.Length);
        }
        int at = pending.IndexOf(marker, StringComparison.Ordinal);
        if (at >= 0)
        {
            string before = Emit(at);
            _holdFrom = _emitted;
            return before;
        }
        return Emit(pending.Length - Detokenizer.LongestSuffixThatPrefixes(pending, marker));
    }

    /// <summary>New starts and argument fragments since the last call, from a scan of the held text.</summary>
    private List<ToolCallEvent> CallEvents(string all)
    {
        var events = new List<ToolCallEvent>();
        var calls = ToolCallScanner.Scan(all, _holdFrom);
        for (int k = 0; k < calls.Count; k++)
        {
            var p = calls[k];
            bool complete = p.ArgumentsEnd >= 0;
            if (k == _started.Count)
            {
                if (p.ArgumentsIsString && !complete) break; // a string's text is only known once it closes
                var call = new StartedCall(ToolCall.NewId(), p.Name);
                _started.Add(call);
                events.Add(new ToolCallEvent(k, call.Id, call.Name, ""));
            }
            var started = _started[k];
            string args = Arguments(all, p);
            if (args.Length > started.Sent.Length && args.StartsWith(started.Sent, StringComparison.Ordinal))
            {
                events.Add(new ToolCallEvent(k, null, null, args[started.Sent.Length..]));
                started.Sent = args;
            }
            if (!complete) break; // later calls cannot have begun
        }
        return events;
    }

    private static string Arguments(string all, ToolCallScanner.Progress p)
    {
        int end = p.ArgumentsEnd >= 0 ? p.ArgumentsEnd : all.Length;
        if (!p.ArgumentsIsString) return ToolCallScanner.Minify(all.AsSpan(p.ArgumentsStart, end - p.ArgumentsStart));
        if (p.ArgumentsEnd < 0) return "";
        try
        {
            return ToolCallScanner.ParseString(all.AsSpan(p.ArgumentsStart, end - p.ArgumentsStart)) ?? "";
        }
        catch (System.Text.Json.JsonException)
        {
            return "";
        }
    }

    /// <summary>At the end of the answer: the content not sent yet, the calls (empty when there were none; those
    /// already started keep their ids), and the events that complete them (starts of calls not yet announced, the
    /// rest of each call's arguments).</summary>
    public FinishedAnswer Finish()
    {
        string all = _all.ToString();
        var events = _holdFrom >= 0 ? CallEvents(all) : [];
        var parsed = ToolCallParser.Parse(format, all);
        string sent = all[.._emitted];
        var calls = new List<ToolCall>();
        if (parsed.Calls.Count == 0 && _started.Count == 0) return new FinishedAnswer(all[_emitted..], [], []);
        for (int k = 0; k < Math.Max(parsed.Calls.Count, _started.Count); k++)
        {
            if (k < _started.Count)
            {
                // Announced already: it stays what the client was sent (its id, name and streamed arguments).
                var s = _started[k];
                calls.Add(new ToolCall(s.Id, s.Name, s.Sent));
                continue;
            }
            var c = parsed.Calls[k];
            calls.Add(c);
            events.Add(new ToolCallEvent(k, c.Id, c.Name, ""));
            if (c.Arguments.Length > 0) events.Add(new ToolCallEvent(k, null, null, c.Arguments));
        }
        if (parsed.Calls.Count == 0) return new FinishedAnswer("", calls, events); // cut short: the calls as far as they went
        // Content around the calls that was not streamed yet (what the parser kept, less what went out already).
        string rest = parsed.Content.StartsWith(sent.Trim(), StringComparison.Ordinal) ? parsed.Content[sent.Trim().Length..] : "";
        return new FinishedAnswer(rest, calls, events);
    }

    private string Emit(int count)
    {
        string s = _all.ToString(_emitted, count);
        _emitted += count;
        return s;
    }
}

/// <summary>A piece of a tool call as it streams: a start (<see cref="Id"/> and <see cref="Name"/> set, arguments
/// empty) or a fragment of arguments (id and name null). <see cref="Call"/> numbers the calls of the answer from 0.</summary>
public sealed record ToolCallEvent(int Call, string? Id, string? Name, string Arguments);

/// <summary>What a pushed piece of text gives: content to send now and tool-call events.</summary>
public sealed record StreamedPiece(string Content, IReadOnlyList<ToolCallEvent> Calls);

/// <summary>The end of a streamed answer: content still to send, every call, and the events that finish them.</summary>
public sealed record FinishedAnswer(string Content, IReadOnlyList<ToolCall> Calls, IReadOnlyList<ToolCallEvent> Events);
