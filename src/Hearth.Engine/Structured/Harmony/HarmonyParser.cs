using System.Text;
using Hearth.Engine.Structured.Tools;

namespace Hearth.Engine.Structured.Harmony;

/// <summary>A piece of a harmony answer: text for the thinking (analysis channel) and for the content.</summary>
public readonly record struct HarmonyPiece(string Reasoning, string Content);

/// <summary>A whole harmony answer: its thinking, its content and its tool calls.</summary>
public sealed record HarmonyAnswer(string Reasoning, string Content, IReadOnlyList<ToolCall> Calls);

/// <summary>Splits gpt-oss's harmony output (with its special tokens written out) as it streams. The answer is a
/// series of messages, each a header and a body: <c>&lt;|channel|&gt;analysis&lt;|message|&gt;…&lt;|end|&gt;</c> is
/// thinking; <c>final</c> is content, and so is <c>commentary</c> without a recipient (a preamble the user sees);
/// a message to <c>functions.NAME</c> (<c>to=functions.NAME</c> in the header, before or after the channel, with an
/// optional <c>&lt;|constrain|&gt;json</c>) is a tool call whose body, up to <c>&lt;|call|&gt;</c>, is its arguments.
/// Later messages open with <c>&lt;|start|&gt;assistant</c>; the first one's role is in the prompt. An output that does
/// not open with a header is plain content. Text that may be the start of a marker is held until it is known; markers
/// appear in neither part. An answer cut short inside a message keeps what it had (a cut tool call is still returned).</summary>
public sealed class HarmonyParser
{
    public const string Start = "<|start|>", Channel = "<|channel|>", Message = "<|message|>", End = "<|end|>",
        Return = "<|return|>", Call = "<|call|>", Constrain = "<|constrain|>";

    private static readonly string[] BodyEnds = [End, Return, Call, Start];

    private enum State { First, Header, Body, Between, Plain, Done }
    private enum Kind { Reasoning, Content, Tool }

    private readonly StringBuilder _held = new();
    private readonly StringBuilder _header = new();
    private readonly StringBuilder _arguments = new();
    private readonly List<ToolCall> _calls = [];
    private State _state = State.First;
    private Kind _kind;
    private string _tool = "";

    /// <summary>The tool calls completed so far.</summary>
    public IReadOnlyList<ToolCall> Calls => _calls;

    /// <summary>Parses a whole answer.</summary>
    public static HarmonyAnswer Parse(string text)
    {
        var p = new HarmonyParser();
        var a = p.Push(text);
        var b = p.Finish();
        return new HarmonyAnswer(a.Reasoning + b.Reasoning, a.Content + b.Content, p.Calls);
    }

    /// <summary>Adds streamed text; returns what of it may be sent now.</summary>
    public HarmonyPiece Push(string text)
    {
        _held.Append(text);
        var reasoning = new StringBuilder();
        var content = new StringBuilder();
        while (_held.Length > 0)
        {
            string pending = _held.ToString();
            switch (_state)
            {
                case State.First:
                case State.Between:
                {
                    // Between messages (and before the first) only a header may follow; whitespace is dropped.
                    string trimmed = pending.TrimStart();
                    if (trimmed.Length == 0) { _held.Clear(); return Done(reasoning, content); }
                    if (trimmed.StartsWith(Start, StringComparison.Ordinal) || trimmed.StartsWith(Channel, StringComparison.Ordinal))
                    {
                        Take(pending.Length - trimmed.Length);
                        _header.Clear();
                        _state = State.Header;
                    }
                    else if (Start.StartsWith(trimmed, StringComparison.Ordinal) || Channel.StartsWith(trimmed, StringComparison.Ordinal))
                        return Done(reasoning, content); // maybe a marker: wait
                    else _state = State.Plain; // text outside any message: content
                    break;
                }
                case State.Header:
                {
                    int at = pending.IndexOf(Message, StringComparison.Ordinal);
                    if (at < 0)
                    {
                        int hold = Detokenizer.LongestSuffixThatPrefixes(pending, Message);
                        _header.Append(pending, 0, pending.Length - hold);
                        Take(pending.Length - hold);
                        return Done(reasoning, content);
                    }
                    _header.Append(pending, 0, at);
                    Take(at + Message.Length);
                    OpenMessage(_header.ToString());
                    _state = State.Body;
                    break;
                }
                case State.Body:
                {
                    var (at, marker) = FirstOf(pending, BodyEnds);
                    if (at < 0)
                    {
                        int hold = BodyEnds.Max(m => Detokenizer.LongestSuffixThatPrefixes(pending, m));
                        Emit(pending[..^hold], reasoning, content);
                        Take(pending.Length - hold);
                        return Done(reasoning, content);
                    }
                    Emit(pending[..at], reasoning, content);
                    CloseMessage();
                    if (marker == Start)
                    {
                        Take(at); // the next message's header starts here
                        _state = State.Between;
                    }
                    else
                    {
                        Take(at + marker.Length);
                        _state = marker == Return ? State.Done : State.Between;
                    }
                    break;
                }
                case State.Plain:
                    content.Append(pending);
                    _held.Clear();
                    break;
                default: // Done: the model ended its answer; anything after is dropped
                    _held.Clear();
                    break;
            }
        }
        return Done(reasoning, content);
    }

    /// <summary>At the end of the answer: whatever was held, and a tool call cut short.</summary>
    public HarmonyPiece Finish()
    {
        string rest = _held.ToString();
        _held.Clear();
        var reasoning = new StringBuilder();
        var content = new StringBuilder();
        switch (_state)
        {
            case State.Body:
                Emit(rest, reasoning, content);
                CloseMessage();
                break;
            case State.Plain:
            case State.First when rest.Trim().Length > 0:
                content.Append(rest);
                break;
        }
        _state = State.Done;
        return Done(reasoning, content);
    }

    /// <summary>Reads a header such as "&lt;|channel|&gt;analysis", "assistant&lt;|channel|&gt;final" or
    /// "&lt;|channel|&gt;commentary to=functions.get_weather &lt;|constrain|&gt;json".</summary>
    private void OpenMessage(string header)
    {
        string channel = "";
        int c = header.IndexOf(Channel, StringComparison.Ordinal);
        if (c >= 0) channel = Word(header, c + Channel.Length);
        string recipient = "";
        int to = header.IndexOf("to=", StringComparison.Ordinal);
        if (to >= 0) recipient = Word(header, to + 3);
        if (recipient.StartsWith("functions.", StringComparison.Ordinal))
        {
            _kind = Kind.Tool;
            _tool = recipient["functions.".Length..];
            _arguments.Clear();
        }
        else _kind = channel == "analysis" ? Kind.Reasoning : Kind.Content;
    }

    private void CloseMessage()
    {
        if (_kind != Kind.Tool) return;
        _calls.Add(new ToolCall(ToolCall.NewId(), _tool, _arguments.ToString().Trim()));
        _kind = Kind.Content;
    }

    private void Emit(string text, StringBuilder reasoning, StringBuilder content)
    {
        switch (_kind)
        {
            case Kind.Reasoning: reasoning.Append(text); break;
            case Kind.Tool: _arguments.Append(text); break;
            default: content.Append(text); break;
        }
    }

    /// <summary>The run of characters at <paramref name="at"/> up to whitespace or a marker.</summary>
    private static string Word(string s, int at)
    {
        int end = at;
        while (end < s.Length && !char.IsWhiteSpace(s[end]) && s[end] != '<') end++;
        return s[at..end];
    }

    private static (int At, string Marker) FirstOf(string s, string[] markers)
    {
        int best = -1;
        string found = "";
        foreach (var m in markers)
        {
            int i = s.IndexOf(m, StringComparison.Ordinal);
            if (i >= 0 && (best < 0 || i < best)) (best, found) = (i, m);
        }
        return (best, found);
    }

    private void Take(int count) => _held.Remove(0, count);

    private static HarmonyPiece Done(StringBuilder reasoning, StringBuilder content) => new(reasoning.ToString(), content.ToString());
}
