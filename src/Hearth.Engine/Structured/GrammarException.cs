namespace Hearth.Engine.Structured;

/// <summary>A grammar, schema, regex or choice list that cannot be compiled or enforced. Maps to HTTP 400; when the
/// cause is one JSON Schema keyword, <see cref="Keyword"/> names it (and the message does too).</summary>
public sealed class GrammarException(string message, string? keyword = null, string? param = null)
    : InvalidRequestException(message, param)
{
    public string? Keyword { get; } = keyword;
}
