using System.Globalization;
using System.Text;

namespace Hearth.Store;

/// <summary>Parses Ollama's Modelfile syntax: <c># comments</c>, and the instructions FROM, PARAMETER, TEMPLATE, SYSTEM,
/// MESSAGE and LICENSE (any case), whose argument is the rest of the line, a "quoted string", or a
/// """multi-line string""". Every error is a <see cref="ModelfileException"/> naming its line.</summary>
public static class ModelfileParser
{
    private enum Kind { Int, Float, Bool, String }

    // The PARAMETER names Ollama accepts, with their value types.
    private static readonly Dictionary<string, Kind> KnownParameters = new(StringComparer.Ordinal)
    {
        ["num_ctx"] = Kind.Int, ["num_predict"] = Kind.Int, ["top_k"] = Kind.Int, ["seed"] = Kind.Int,
        ["repeat_last_n"] = Kind.Int, ["num_keep"] = Kind.Int, ["num_batch"] = Kind.Int, ["num_gpu"] = Kind.Int,
        ["num_thread"] = Kind.Int, ["mirostat"] = Kind.Int,
        ["temperature"] = Kind.Float, ["top_p"] = Kind.Float, ["min_p"] = Kind.Float, ["typical_p"] = Kind.Float,
        ["repeat_penalty"] = Kind.Float, ["presence_penalty"] = Kind.Float, ["frequency_penalty"] = Kind.Float,
        ["mirostat_tau"] = Kind.Float, ["mirostat_eta"] = Kind.Float, ["tfs_z"] = Kind.Float,
        ["penalize_newline"] = Kind.Bool, ["use_mmap"] = Kind.Bool, ["use_mlock"] = Kind.Bool, ["numa"] = Kind.Bool,
        ["stop"] = Kind.String,
    };

    private static readonly string[] Roles = ["system", "user", "assistant", "tool"];

    /// <summary>Parses Modelfile text.</summary>
    public static Modelfile Parse(string text)
    {
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        string? from = null;
        int fromLine = 0;
        string? template = null, system = null, license = null;
        var parameters = new List<(string, string)>();
        var messages = new List<(string, string)>();
        var adapters = new List<(string, int)>();

        for (int i = 0; i < lines.Length; i++)
        {
            int lineNo = i + 1;
            var line = lines[i].Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            int space = line.IndexOfAny([' ', '\t']);
            string instruction = (space < 0 ? line : line[..space]).ToUpperInvariant();
            string rest = space < 0 ? "" : line[(space + 1)..].TrimStart();
            switch (instruction)
            {
                case "FROM":
                    if (from != null) throw new ModelfileException(lineNo, $"FROM appears twice (first on line {fromLine})");
                    from = RequireSingle(ReadArgument(lines, ref i, rest), lineNo, "FROM needs a model name, blob or file path");
                    fromLine = lineNo;
                    break;
                case "PARAMETER":
                    parameters.Add(ParseParameter(rest, lineNo));
                    break;
                case "TEMPLATE":
                    template = Require(ReadArgument(lines, ref i, rest), lineNo, "TEMPLATE needs a template");
                    break;
                case "SYSTEM":
                    system = Require(ReadArgument(lines, ref i, rest), lineNo, "SYSTEM needs a message");
                    break;
                case "LICENSE":
                    license = Require(ReadArgument(lines, ref i, rest), lineNo, "LICENSE needs text");
                    break;
                case "MESSAGE":
                    messages.Add(ParseMessage(lines, ref i, rest, lineNo));
                    break;
                case "ADAPTER":
                    adapters.Add((RequireSingle(ReadArgument(lines, ref i, rest), lineNo, "ADAPTER needs a LoRA adapter GGUF file or blob"), lineNo));
                    break;
                default:
                    throw new ModelfileException(lineNo, $"unknown instruction '{(space < 0 ? line : line[..space])}' (expected FROM, ADAPTER, PARAMETER, TEMPLATE, SYSTEM, MESSAGE, LICENSE or a # comment)");
            }
        }
        if (from is null) throw new ModelfileException(lines.Length, "no FROM instruction (every Modelfile needs one)");
        return new Modelfile(from, fromLine)
        {
            Template = template, System = system, License = license, Parameters = parameters, Messages = messages, Adapters = adapters,
        };
    }

    internal static (string, string) ParseParameter(string rest, int lineNo)
    {
        int space = rest.IndexOfAny([' ', '\t']);
        if (rest.Length == 0 || space < 0)
            throw new ModelfileException(lineNo, "PARAMETER needs a name and a value, e.g. PARAMETER temperature 0.7");
        string name = rest[..space].ToLowerInvariant();
        string value = Unquote(rest[(space + 1)..].Trim(), lineNo);
        if (!KnownParameters.TryGetValue(name, out var kind))
            throw new ModelfileException(lineNo, $"unknown parameter '{rest[..space]}' (known: {string.Join(", ", KnownParameters.Keys.Order(StringComparer.Ordinal))})");
        bool ok = kind switch
        {
            Kind.Int => long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
            Kind.Float => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d),
            Kind.Bool => bool.TryParse(value, out _),
            _ => value.Length > 0,
        };
        if (!ok)
            throw new ModelfileException(lineNo, $"parameter {name} needs {(kind switch { Kind.Int => "an integer", Kind.Float => "a number", Kind.Bool => "true or false", _ => "a non-empty value" })}, got '{value}'");
        return (name, value);
    }

    private static (string, string) ParseMessage(string[] lines, ref int i, string rest, int lineNo)
    {
        int space = rest.IndexOfAny([' ', '\t']);
        if (space < 0)
            throw new ModelfileException(lineNo, "MESSAGE needs a role and content, e.g. MESSAGE user Hello");
        string role = rest[..space].ToLowerInvariant();
        if (!Roles.Contains(role))
            throw new ModelfileException(lineNo, $"MESSAGE role '{rest[..space]}' is not one of {string.Join(", ", Roles)}");
        string content = Require(ReadArgument(lines, ref i, rest[(space + 1)..].TrimStart()), lineNo, "MESSAGE needs content");
        return (role, content);
    }

    /// <summary>The argument starting at <paramref name="rest"/>: a """ block (may span lines; advances
    /// <paramref name="i"/>), a "quoted" string, or the bare rest of the line.</summary>
    private static string ReadArgument(string[] lines, ref int i, string rest)
    {
        int lineNo = i + 1;
        if (!rest.StartsWith("\"\"\"", StringComparison.Ordinal)) return Unquote(rest, lineNo);
        string body = rest[3..];
        int close = body.IndexOf("\"\"\"", StringComparison.Ordinal);
        if (close >= 0)
        {
            CheckNothingAfter(body[(close + 3)..], lineNo);
            return body[..close];
        }
        var sb = new StringBuilder();
        // A """ that ends its line starts the text on the next line (the newline is layout, not content).
        if (body.Trim().Length > 0) sb.Append(body).Append('\n');
        for (int j = i + 1; j < lines.Length; j++)
        {
            var raw = lines[j];
            int end = raw.IndexOf("\"\"\"", StringComparison.Ordinal);
            if (end < 0)
            {
                sb.Append(raw).Append('\n');
                continue;
            }
            CheckNothingAfter(raw[(end + 3)..], j + 1);
            if (raw[..end].Trim().Length > 0) sb.Append(raw[..end]);
            else if (sb.Length > 0 && sb[^1] == '\n') sb.Length--; // a closing """ on its own line: no trailing newline
            i = j;
            return sb.ToString();
        }
        throw new ModelfileException(lineNo, "unterminated \"\"\" string (no closing \"\"\")");
    }

    private static void CheckNothingAfter(string tail, int lineNo)
    {
        if (tail.Trim().Length > 0)
            throw new ModelfileException(lineNo, $"unexpected text after closing \"\"\": '{tail.Trim()}'");
    }

    private static string Unquote(string value, int lineNo)
    {
        if (value.Length == 0 || value[0] != '"') return value;
        if (value.Length < 2 || value[^1] != '"' || value[^2] == '\\' && (value.Length == 2 || value[^3] != '\\'))
            throw new ModelfileException(lineNo, $"unterminated quoted string: {value}");
        var sb = new StringBuilder(value.Length);
        for (int k = 1; k < value.Length - 1; k++)
        {
            char c = value[k];
            if (c == '\\' && k + 1 < value.Length - 1 && value[k + 1] is '"' or '\\') c = value[++k];
            sb.Append(c);
        }
        return sb.ToString();
    }

    private static string Require(string value, int lineNo, string message) =>
        value.Length == 0 ? throw new ModelfileException(lineNo, message) : value;

    private static string RequireSingle(string value, int lineNo, string message) => Require(value.Trim(), lineNo, message);
}
