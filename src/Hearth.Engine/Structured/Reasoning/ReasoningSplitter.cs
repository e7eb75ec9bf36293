using System.Text;

namespace Hearth.Engine.Structured.Reasoning;

/// <summary>A piece of an answer split into its thinking and its content.</summary>
public readonly record struct ReasoningPiece(string Reasoning, string Content);

/// <summary>Splits a (streamed) answer into thinking and content, as vLLM's reasoning parsers and Ollama's thinking
/// parser do. When the prompt opened the thinking block (DeepSeek-R1 templates end with "&lt;think&gt;\n") the output
/// starts as thinking; otherwise it is thinking only if it opens with the start marker (after whitespace). The end
/// marker switches to content for good. Markers never appear in either part; text that may be the start of a marker
/// is held until it is known not to be one; whitespace right after a marker is dropped. An answer cut short inside
/// its thinking is all thinking.</summary>
public sealed class ReasoningSplitter
{
    private enum State { MaybeStart, Thinking, AfterEnd, Content }

    private readonly ReasoningFormat _format;
    private readonly StringBuilder _held = new();
    private State _state;
    private bool _thinkingStarted; // leading whitespace of the thinking is dropped

    public ReasoningSplitter(ReasoningFormat format, bool openInPrompt)
    {
        _format = format;
        _state = openInPrompt ? State.Thinking : State.MaybeStart;
    }

    /// <summary>True once the end marker was seen (or the answer never opened a thinking block).</summary>
    public bool InContent => _state is State.AfterEnd or State.Content;

    /// <summary>Splits a whole answer.</summary>
    public static ReasoningPiece Split(ReasoningFormat format, bool openInPrompt, string text)
    {
        var s = new ReasoningSplitter(format, openInPrompt);
        var a = s.Push(text);
        var b = s.Finish();
        return new ReasoningPiece(a.Reasoning + b.Reasoning, a.Content + b.Content);
    }

    /// <summary>Adds streamed text; returns what of it may be sent now.</summary>
    public ReasoningPiece Push(string text)
    {
        _held.Append(text);
        var reasoning = new StringBuilder();
        var content = new StringBuilder();
        while (_held.Length > 0)
        {
            string pending = _held.ToString();
            switch (_state)
            {
                case State.MaybeStart:
                {
                    string trimmed = pending.TrimStart();
                    if (trimmed.Length == 0) return Done(reasoning, content); // only whitespace so far: wait
                    if (trimmed.StartsWith(_format.Start, StringComparison.Ordinal))
                    {
                        Take(pending.Length - trimmed.Length + _format.Start.Length);
                        _state = State.Thinking;
                    }
                    else if (_format.Start.StartsWith(trimmed, StringComparison.Ordinal)) return Done(reasoning, content); // maybe the marker
                    else _state = State.Content;
                    break;
                }
                case State.Thinking:
                {
                    if (!_thinkingStarted)
                    {
                        string trimmed = pending.TrimStart();
                        Take(pending.Length - trimmed.Length);
                        if (trimmed.Length == 0) return Done(reasoning, content);
                        _thinkingStarted = true;
                        pending = trimmed;
                    }
                    int end = pending.IndexOf(_format.End, StringComparison.Ordinal);
                    if (end >= 0)
                    {
                        reasoning.Append(pending, 0, end);
                        Take(end + _format.End.Length);
                        _state = State.AfterEnd;
                        break;
                    }
                    int hold = Detokenizer.LongestSuffixThatPrefixes(pending, _format.End);
                    reasoning.Append(pending, 0, pending.Length - hold);
                    Take(pending.Length - hold);
                    return Done(reasoning, content);
                }
                case State.AfterEnd:
                {
                    string trimmed = pending.TrimStart();
                    Take(pending.Length - trimmed.Length);
                    if (trimmed.Length == 0) return Done(reasoning, content);
                    _state = State.Content;
                    break;
                }
                default:
                    content.Append(pending);
                    _held.Clear();
                    break;
            }
        }
        return Done(reasoning, content);
    }

    /// <summary>At the end of the answer: whatever was held (in a thinking block cut short: thinking).</summary>
    public ReasoningPiece Finish()
    {
        string rest = _held.ToString();
        _held.Clear();
        return _state switch
        {
            State.Thinking => new ReasoningPiece(_thinkingStarted ? rest : rest.TrimStart(), ""),
            State.AfterEnd => new ReasoningPiece("", ""),
            _ => new ReasoningPiece("", rest),
        };
    }

    private void Take(int count) => _held.Remove(0, count);

    private static ReasoningPiece Done(StringBuilder reasoning, StringBuilder content) => new(reasoning.ToString(), content.ToString());
}
