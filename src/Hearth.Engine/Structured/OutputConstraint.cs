namespace Hearth.Engine.Structured;

/// <summary>What a request asks its output to follow (the APIs' response_format, guided_*, grammar, format…).</summary>
public enum ConstraintKind
{
    /// <summary>Any JSON object (OpenAI json_object, Ollama format "json").</summary>
    JsonObject,
    /// <summary>A JSON Schema (text).</summary>
    JsonSchema,
    /// <summary>A regular expression (full match).</summary>
    Regex,
    /// <summary>Exactly one of a list of strings.</summary>
    Choice,
    /// <summary>A llama.cpp GBNF grammar.</summary>
    Gbnf,
}

/// <summary>One output constraint as the API received it: the kind and its source text (for a choice, the options).</summary>
public sealed record OutputConstraint(ConstraintKind Kind, string Text, IReadOnlyList<string>? Choices = null)
{
    public static OutputConstraint Json() => new(ConstraintKind.JsonObject, "");
    public static OutputConstraint Schema(string schemaJson) => new(ConstraintKind.JsonSchema, schemaJson);
    public static OutputConstraint Pattern(string regex) => new(ConstraintKind.Regex, regex);
    public static OutputConstraint Gbnf(string grammar) => new(ConstraintKind.Gbnf, grammar);
    public static OutputConstraint OneOf(IReadOnlyList<string> options) => new(ConstraintKind.Choice, string.Join('\u0000', options), options);
}
