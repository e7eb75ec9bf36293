using System.Text;

namespace Hearth.Engine.Structured.Tools;

/// <summary>Splits a streamed answer: plain content passes through as it comes; from the point where a tool call may
/// begin (the family's marker, or for JSON families an answer that opens with '{', '[' or &lt;|python_tag|&gt;) the
/// text is held, and <see cref="Finish"/> parses it into calls. Text that might be the start of a marker is held
/// until it is known not to be one, so content never shows a marker.</summary>
public sealed class ToolCallStream(ToolCallFormat format)
{
    private readonly StringBuilder _all = new();
    private int _emitted;
    private bool _holding;

    /// <summary>Adds streamed text; returns the content that may be sent now.</summary>
    public string Push(string text)
    {
        _all.Append(text);
        if (_holding) return "";
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
            if (start[0] is '{' or '[' || (ToolCallParser.PythonTag.StartsWith(start[..Math.Min(start.Length, ToolCallParser.PythonTag.Length)], StringComparison.Ordinal)))
            {
                _holding = start[0] is '{' or '[' || start.StartsWith(ToolCallParser.PythonTag, StringComparison.Ordinal);
                return "";
            }
            return Emit(pending.Length);
        }
        int at = pending.IndexOf(marker, StringComparison.Ordinal);
        if (at >= 0)
        {
            _holding = true;
            return Emit(at);
        }
        return Emit(pending.Length - Detokenizer.LongestSuffixThatPrefixes(pending, marker));
    }

    /// <summary>At the end of the answer: the content not sent yet, and the calls (empty when there were none).</summary>
    public ParsedAnswer Finish()
    {
        string all = _all.ToString();
        var parsed = ToolCallParser.Parse(format, all);
        string sent = all[.._emitted];
        if (parsed.Calls.Count == 0) return new ParsedAnswer(all[_emitted..], []);
        // Content around the calls that was not streamed yet (what the parser kept, less what went out already).
        string rest = parsed.Content.StartsWith(sent.Trim(), StringComparison.Ordinal) ? parsed.Content[sent.Trim().Length..] : "";
        return new ParsedAnswer(rest, parsed.Calls);
    }

    private string Emit(int count)
    {
        string s = _all.ToString(_emitted, count);
        _emitted += count;
        return s;
    }
}
