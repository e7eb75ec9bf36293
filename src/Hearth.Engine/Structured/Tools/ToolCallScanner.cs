namespace Hearth.Engine.Structured.Tools;

/// <summary>Reads the tool calls out of a possibly unfinished answer, for streaming: for each call object (an object
/// with a string "name", outside any call's arguments) its name once the string is closed, and where its
/// "arguments"/"parameters" value starts and ends in the text. Lenient by design: it never fails, it only reports what
/// is certain so far; <see cref="ToolCallParser"/> decides at the end what really is a call.</summary>
internal static class ToolCallScanner
{
    /// <summary>A call as far as the text goes: <see cref="ArgumentsEnd"/> is -1 while the value is still open.</summary>
    public sealed record Progress(string Name, int ArgumentsStart, int ArgumentsEnd, bool ArgumentsIsString);

    /// <summary>The calls in <paramref name="text"/> from <paramref name="start"/> on, in order; a call appears once its
    /// name is complete and its arguments value has begun (before that it may still turn out not to be a call).</summary>
    public static List<Progress> Scan(string text, int start)
    {
        var calls = new List<Progress>();
        var frames = new Stack<Frame>();
        int argsDepth = -1; // the frames depth inside which we are in some call's arguments (no calls there)
        int i = start;
        while (i < text.Length)
        {
            char c = text[i];
            var top = frames.Count > 0 ? frames.Peek() : null;
            if (c == '"')
            {
                int close = StringEnd(text, i);
                if (close < 0) break; // an open string: nothing after it is known yet
                if (top is { IsObject: true, ExpectKey: true })
                {
                    top.Key = Unescape(text, i + 1, close);
                    top.ExpectKey = false;
                }
                else if (top is { IsObject: true } && argsDepth < 0) Value(top, text, i, close + 1, isString: true);
                i = close + 1;
                continue;
            }
            switch (c)
            {
                case '{' or '[':
                    if (top is { IsObject: true } && argsDepth < 0 && IsArgumentsKey(top.Key))
                    {
                        top.ArgumentsStart = i;
                        argsDepth = frames.Count + 1;
                    }
                    frames.Push(new Frame(c == '{'));
                    break;
                case '}' or ']':
                    if (frames.Count == 0) break;
                    var done = frames.Pop();
                    if (argsDepth == frames.Count + 1)
                    {
                        argsDepth = -1;
                        if (frames.TryPeek(out var owner)) owner.ArgumentsEnd = i + 1;
                    }
                    if (done.Name is not null) Report(calls, done);
                    break;
                case ',':
                    if (top is { IsObject: true }) top.ExpectKey = true;
                    break;
                case ':':
                    break;
                default:
                    if (top is { IsObject: true, ExpectKey: false } && argsDepth < 0 && !char.IsWhiteSpace(c))
                    {
                        int end = ScalarEnd(text, i);
                        if (end < 0) { i = text.Length; continue; } // the scalar may go on
                        Value(top, text, i, end, isString: false);
                        i = end;
                        continue;
                    }
                    break;
            }
            i++;
        }
        // Calls still open at the end of the text, outermost last (their objects began first, but a finished call
        // was reported when it closed; open ones follow in the order they began).
        foreach (var open in frames.Reverse())
            if (open.Name is not null) Report(calls, open);
        return calls;
    }

    /// <summary>Drops JSON's insignificant whitespace (outside strings): how arguments are sent, streamed or whole,
    /// so the streamed fragments of a call always add up to its final arguments.</summary>
    public static string Minify(ReadOnlySpan<char> json)
    {
        var sb = new System.Text.StringBuilder(json.Length);
        bool inString = false;
        for (int i = 0; i < json.Length; i++)
        {
            char c = json[i];
            if (inString)
            {
                sb.Append(c);
                if (c == '\\' && i + 1 < json.Length) sb.Append(json[++i]);
                else if (c == '"') inString = false;
                continue;
            }
            if (c is ' ' or '\t' or '\n' or '\r') continue;
            if (c == '"') inString = true;
            sb.Append(c);
        }
        return sb.ToString();
    }

    private sealed class Frame(bool isObject)
    {
        public bool IsObject { get; } = isObject;
        public bool ExpectKey { get; set; } = isObject;
        public string? Key { get; set; }
        public string? Name { get; set; }
        public int ArgumentsStart { get; set; } = -1;
        public int ArgumentsEnd { get; set; } = -1;
        public bool ArgumentsIsString { get; set; }
        public bool Reported { get; set; }
    }

    private static void Value(Frame owner, string text, int start, int end, bool isString)
    {
        if (owner.Key == "name" && isString && owner.Name is null) owner.Name = Unescape(text, start + 1, end - 1);
        else if (IsArgumentsKey(owner.Key) && owner.ArgumentsStart < 0)
        {
            owner.ArgumentsStart = start;
            owner.ArgumentsEnd = end;
            owner.ArgumentsIsString = isString;
        }
    }

    private static void Report(List<Progress> calls, Frame f)
    {
        if (f.Reported || f.Name is null || f.ArgumentsStart < 0) return;
        f.Reported = f.ArgumentsEnd >= 0;
        var progress = new Progress(f.Name, f.ArgumentsStart, f.ArgumentsEnd, f.ArgumentsIsString);
        int existing = calls.FindIndex(p => p.ArgumentsStart == f.ArgumentsStart);
        if (existing >= 0) calls[existing] = progress;
        else calls.Add(progress);
        calls.Sort((a, b) => a.ArgumentsStart.CompareTo(b.ArgumentsStart));
    }

    private static bool IsArgumentsKey(string? key) => key is "arguments" or "parameters";

    /// <summary>The index of the quote closing the string that opens at <paramref name="open"/>; -1 if not closed yet.</summary>
    private static int StringEnd(string text, int open)
    {
        for (int i = open + 1; i < text.Length; i++)
        {
            if (text[i] == '\\') i++;
            else if (text[i] == '"') return i;
        }
        return -1;
    }

    /// <summary>Where a number or literal ends (the next delimiter); -1 when the text ends first.</summary>
    private static int ScalarEnd(string text, int start)
    {
        for (int i = start; i < text.Length; i++)
            if (text[i] is ',' or '}' or ']' or ' ' or '\t' or '\n' or '\r') return i;
        return -1;
    }

    /// <summary>The value of a JSON string literal (null for the literal null); a JsonException for anything else. Read
    /// through JsonDocument rather than JsonSerializer, whose reflection the Native AOT build does not have.</summary>
    internal static string? ParseString(ReadOnlySpan<char> json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json.ToString());
        return document.RootElement.ValueKind switch
        {
            System.Text.Json.JsonValueKind.String => document.RootElement.GetString(),
            System.Text.Json.JsonValueKind.Null => null,
            var kind => throw new System.Text.Json.JsonException($"a JSON string was expected, not {kind}"),
        };
    }

    private static string Unescape(string text, int start, int end)
    {
        var raw = text[start..end];
        if (!raw.Contains('\\')) return raw;
        try
        {
            return ParseString("\"" + raw + "\"") ?? raw;
        }
        catch (System.Text.Json.JsonException)
        {
            return raw; // a broken escape: the final parse will not take this call either
        }
    }
}
