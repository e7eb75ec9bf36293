using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Hearth.Engine.Structured.Json;
using Hearth.Engine.Structured.Text;

namespace Hearth.Engine.Structured;

/// <summary>Compiles <see cref="OutputConstraint"/>s to grammars, cached by a SHA-256 of kind and source, so the
/// requests of an agent that sends the same schema each time compile it once (and share its mask cache).
/// Thread-safe; bounded (starts over when full). Compile errors are <see cref="GrammarException"/>s (HTTP 400).</summary>
public static class GrammarCache
{
    public const int Capacity = 512;
    private static readonly ConcurrentDictionary<string, Grammar> Compiled = new();

    public static int Count => Compiled.Count;

    public static Grammar Get(OutputConstraint constraint)
    {
        string key = Key(constraint);
        if (Compiled.TryGetValue(key, out var known)) return known;
        var grammar = Compile(constraint);
        grammar.Key = key;
        if (Compiled.Count >= Capacity) Compiled.Clear();
        return Compiled.GetOrAdd(key, grammar);
    }

    /// <summary>A grammar built by other code (tool calls), cached under a key of the caller's making.</summary>
    public static Grammar GetOrAdd(string source, Func<Grammar> build)
    {
        string key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(source)));
        if (Compiled.TryGetValue(key, out var known)) return known;
        var grammar = build();
        grammar.Key = key;
        if (Compiled.Count >= Capacity) Compiled.Clear();
        return Compiled.GetOrAdd(key, grammar);
    }

    private static Grammar Compile(OutputConstraint c) => c.Kind switch
    {
        ConstraintKind.JsonObject => JsonSchemaCompiler.Compile("{\"type\":\"object\"}"),
        ConstraintKind.JsonSchema => JsonSchemaCompiler.Compile(c.Text),
        ConstraintKind.Regex => Single(RegexCompiler.Compile(c.Text)),
        ConstraintKind.Choice => Single(LiteralTrie.Node(c.Choices ?? throw new GrammarException("a choice needs options"))),
        ConstraintKind.Gbnf => GbnfParser.Parse(c.Text),
        _ => throw new GrammarException($"unknown constraint kind {c.Kind}"),
    };

    private static Grammar Single(GrammarNode node)
    {
        var b = new GrammarBuilder();
        int root = b.Rule("root");
        b.Define(root, node);
        return b.Build(root);
    }

    private static string Key(OutputConstraint c) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(c.Kind + "\u0001" + c.Text)));
}
