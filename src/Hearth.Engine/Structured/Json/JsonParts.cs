using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Engine.Structured.Text;

namespace Hearth.Engine.Structured.Json;

/// <summary>The JSON building blocks of one grammar under construction (each defined once as a rule of the
/// builder): bounded whitespace, strings with length bounds, numbers with bounded digits (so noise cannot run on in
/// digits), literals, and any JSON value (free JSON).</summary>
internal sealed class JsonParts(GrammarBuilder builder, int maxWhitespace, string prefix = "")
{
    /// <summary>Digits allowed in an integer part and in a fraction; exponent digits.</summary>
    public const int MaxIntDigits = 15, MaxFractionDigits = 15, MaxExponentDigits = 2;

    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = false };
    private GrammarNode? _ws, _char, _string, _number, _integer, _value;

    public GrammarBuilder Builder => builder;

    /// <summary>Prefixes the names of rules this schema declares (several schemas can share one builder).</summary>
    public string Prefix => prefix;

    /// <summary>Whitespace between tokens: at most <c>maxWhitespace</c> of space, tab, CR, LF.</summary>
    public GrammarNode Ws => _ws ??= builder.Add("ws", GrammarNode.Times(GrammarNode.Set(" \t\n\r"), 0, maxWhitespace));

    /// <summary>One character inside a JSON string: an unescaped UTF-8 character or an escape (never a lone surrogate).</summary>
    public GrammarNode Char => _char ??= builder.Add("char", GrammarNode.Choice(
        JsonStringChars.Node(CodePointSet.Of((0x20, CodePointSet.MaxCodePoint)).Without(CodePointSet.Of(('"', '"'), ('\\', '\\')))),
        GrammarNode.Sequence(GrammarNode.Literal("\\"), GrammarNode.Choice(
            GrammarNode.Set("\"\\/bfnrt"),
            GrammarNode.Sequence(GrammarNode.Literal("u"), RegexCompiler.Compile("[0-9a-cA-CeEfF][0-9a-fA-F]{3}|[dD][0-7][0-9a-fA-F]{2}"))))));

    public GrammarNode String => _string ??= builder.Add("string", StringOf(0, null));

    public GrammarNode StringOf(int minLength, int? maxLength) =>
        GrammarNode.Sequence(GrammarNode.Literal("\""), GrammarNode.Times(Char, minLength, maxLength), GrammarNode.Literal("\""));

    /// <summary>The inside of a string made by a node (a pattern or a format), quoted.</summary>
    public static GrammarNode Quoted(GrammarNode inside) => GrammarNode.Sequence(GrammarNode.Literal("\""), inside, GrammarNode.Literal("\""));

    public GrammarNode Integer => _integer ??= builder.Add("integer", IntegerRange.Node(-IntegerRange.Limit, IntegerRange.Limit));

    public GrammarNode Number => _number ??= builder.Add("number", GrammarNode.Sequence(Integer, Fraction, Exponent));

    public static GrammarNode Fraction => GrammarNode.Optional(GrammarNode.Sequence(GrammarNode.Literal("."), GrammarNode.Times(GrammarNode.Range('0', '9'), 1, MaxFractionDigits)));

    private static GrammarNode Exponent => GrammarNode.Optional(GrammarNode.Sequence(GrammarNode.Set("eE"), GrammarNode.Optional(GrammarNode.Set("+-")),
        GrammarNode.Times(GrammarNode.Range('0', '9'), 1, MaxExponentDigits)));

    public static GrammarNode Boolean => GrammarNode.Choice(GrammarNode.Literal("true"), GrammarNode.Literal("false"));

    public static GrammarNode Null => GrammarNode.Literal("null");

    /// <summary>Exactly one JSON value, written compactly (for const and enum).</summary>
    public static string Serialize(JsonNode? value) => value is null ? "null" : value.ToJsonString(Compact);

    /// <summary>Any JSON value (recursive).</summary>
    public GrammarNode Value
    {
        get
        {
            if (_value is not null) return _value;
            int rule = builder.Rule(prefix + "value");
            _value = new GrammarNode.Ref(rule);
            var member = GrammarNode.Sequence(String, Ws, GrammarNode.Literal(":"), Ws, _value, Ws);
            builder.Define(rule, GrammarNode.Choice(
                Object(member), Array(GrammarNode.Sequence(_value, Ws), 0, null), String, Number, Boolean, Null));
            return _value;
        }
    }

    /// <summary>"{" ws (member ("," ws member)*)? "}" where a member ends with its own trailing whitespace.</summary>
    public GrammarNode Object(GrammarNode member) => GrammarNode.Sequence(GrammarNode.Literal("{"), Ws,
        GrammarNode.Optional(GrammarNode.Sequence(member, GrammarNode.Star(GrammarNode.Sequence(GrammarNode.Literal(","), Ws, member)))),
        GrammarNode.Literal("}"));

    /// <summary>"[" ws items "]" with between min and max items (each item ends with its trailing whitespace).</summary>
    public GrammarNode Array(GrammarNode item, int min, int? max)
    {
        var next = GrammarNode.Sequence(GrammarNode.Literal(","), Ws, item);
        GrammarNode body = min >= 1
            ? GrammarNode.Sequence(item, GrammarNode.Times(next, min - 1, max - 1))
            : max == 0 ? GrammarNode.Empty : GrammarNode.Optional(GrammarNode.Sequence(item, GrammarNode.Times(next, 0, max - 1)));
        return GrammarNode.Sequence(GrammarNode.Literal("["), Ws, body, GrammarNode.Literal("]"));
    }
}
