using Hearth.Engine.Structured.Text;

namespace Hearth.Engine.Structured.Json;

/// <summary>String formats as grammars that produce only valid values (the inside of the JSON string): calendar-valid
/// dates (29 February only in years divisible by 4 that are not centuries… simplified: February has 28 days here, a
/// subset), RFC 3339 times, lowercase UUIDs, plain dot-atom e-mail addresses, IPv4 addresses, https URIs.</summary>
internal static class JsonFormats
{
    public static readonly string[] Supported = ["date", "time", "date-time", "uuid", "email", "ipv4", "uri"];

    public static GrammarNode? Node(string format) => format switch
    {
        "date" => Date(),
        "time" => Time(),
        "date-time" => GrammarNode.Sequence(Date(), GrammarNode.Literal("T"), Time()),
        "uuid" => Regex("[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"),
        "email" => Regex("[a-z0-9]{1,20}(\\.[a-z0-9]{1,20})?@[a-z0-9]{1,20}(\\.[a-z0-9]{1,20})?\\.[a-z]{2,6}"),
        "ipv4" => Regex("((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"),
        "uri" => Regex("https://[a-z0-9]{1,20}\\.[a-z]{2,6}(/[a-zA-Z0-9_-]{1,20}){0,4}"),
        _ => null,
    };

    private static GrammarNode Date() => Regex(
        "(1[0-9]{3}|2[0-9]{3})-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))");

    private static GrammarNode Time() => Regex("([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])");

    private static GrammarNode Regex(string pattern) => RegexCompiler.Compile(pattern);
}
