using System.Text;

namespace Hearth.Engine;

/// <summary>Turns one sequence's token bytes into text incrementally: a UTF-8 character split across tokens is held
/// until complete (invalid bytes become U+FFFD), and text that could be the start of a stop string is held back
/// until it is known not to be one, so streamed text never contains a stop string or anything after it.</summary>
internal sealed class Detokenizer
{
    private readonly Decoder _utf8 = new UTF8Encoding(false, false).GetDecoder();
    private readonly StringBuilder _held = new();
    private char[] _chars = new char[64];

    /// <summary>Adds a token's bytes. Returns the text that may be streamed now; <paramref name="matchedStop"/> is
    /// set when a stop string appeared (the returned text is then everything before it).</summary>
    public string Push(ReadOnlySpan<byte> bytes, IReadOnlyList<string> stops, out string? matchedStop)
    {
        matchedStop = null;
        int needed = _utf8.GetCharCount(bytes, flush: false);
        if (needed > _chars.Length) _chars = new char[Math.Max(needed, _chars.Length * 2)];
        int count = _utf8.GetChars(bytes, _chars, flush: false);
        _held.Append(_chars, 0, count);
        if (_held.Length == 0) return "";
        string pending = _held.ToString();
        _held.Clear();

        int stopAt = int.MaxValue;
        foreach (string stop in stops)
        {
            int at = stop.Length == 0 ? -1 : pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && at < stopAt)
            {
                stopAt = at;
                matchedStop = stop;
            }
        }
        if (matchedStop is not null) return pending[..stopAt];

        int hold = 0;
        foreach (string stop in stops)
            hold = Math.Max(hold, LongestSuffixThatPrefixes(pending, stop));
        _held.Append(pending, pending.Length - hold, hold);
        return hold == 0 ? pending : pending[..^hold];
    }

    /// <summary>At the end of a sequence that did not stop on a stop string: everything still held.</summary>
    public string Flush()
    {
        int count = _utf8.GetChars([], _chars, flush: true);
        _held.Append(_chars, 0, count);
        string rest = _held.ToString();
        _held.Clear();
        return rest;
    }

    /// <summary>Length of the longest proper prefix of <paramref name="stop"/> that <paramref name="text"/> ends with.</summary>
    internal static int LongestSuffixThatPrefixes(string text, string stop)
    {
        for (int k = Math.Min(stop.Length - 1, text.Length); k > 0; k--)
            if (text.AsSpan(text.Length - k).SequenceEqual(stop.AsSpan(0, k))) return k;
        return 0;
    }
}
