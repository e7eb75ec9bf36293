using System.Text;
using System.Text.Json.Nodes;
using Hearth.Engine.Structured.Json;
using Hearth.Engine.Structured.Tools;

namespace Hearth.Engine.Structured.Harmony;

/// <summary>Grammars for gpt-oss's harmony answers, which put an output constraint where it belongs: the model may
/// first think in one analysis message (<c>&lt;|channel|&gt;analysis&lt;|message|&gt;…&lt;|end|&gt;</c>, free text that
/// holds none of the markers that end a message body, then <c>&lt;|start|&gt;assistant</c>), and then either writes its final message,
/// whose body the constraint governs, or, for a forced tool choice, one message to <c>functions.NAME</c> in the
/// commentary channel whose body is arguments valid under that function's parameter schema. Generation then ends with
/// <c>&lt;|return|&gt;</c> or <c>&lt;|call|&gt;</c> (end-of-generation tokens, allowed where the grammar may end).
/// What these grammars accept, <see cref="HarmonyParser"/> splits into thinking and content or a tool call.</summary>
public static class HarmonyGrammar
{
    public const string AnalysisHeader = HarmonyParser.Channel + "analysis" + HarmonyParser.Message;
    public const string NextMessage = HarmonyParser.Start + "assistant";
    public const string FinalHeader = HarmonyParser.Channel + "final" + HarmonyParser.Message;

    /// <summary>The header of a tool call to <paramref name="name"/>, as gpt-oss's template renders past calls.</summary>
    public static string CallHeader(string name) =>
        $"{HarmonyParser.Channel}commentary to=functions.{name} {HarmonyParser.Constrain}json{HarmonyParser.Message}";

    /// <summary>Thinking allowed, then a final message whose body matches <paramref name="answer"/>.</summary>
    public static Grammar Final(Grammar answer) =>
        GrammarCache.GetOrAdd($"harmony-final\u0001{answer.Key}", () =>
        {
            var b = new GrammarBuilder();
            var body = GrammarEmbedding.Embed(answer, b, "answer:");
            return Build(b, GrammarNode.Sequence(GrammarNode.Literal(FinalHeader), body));
        });

    /// <summary>Thinking allowed, then exactly one call to one of the functions (or the one named).</summary>
    public static Grammar Call(JsonArray tools, string? only) =>
        GrammarCache.GetOrAdd($"harmony-call\u0001{only}\u0001{tools.ToJsonString()}", () =>
        {
            var b = new GrammarBuilder();
            var options = new List<GrammarNode>();
            int i = 0;
            foreach (var (name, parameters) in ToolGrammar.Functions(tools, only))
                options.Add(GrammarNode.Sequence(GrammarNode.Literal(CallHeader(name)), JsonSchemaCompiler.Embed(parameters, b, $"tool{i++}:")));
            return Build(b, GrammarNode.Choice(options));
        });

    private static byte[] Bytes(string marker) => Encoding.UTF8.GetBytes(marker);

    private static Grammar Build(GrammarBuilder b, GrammarNode message)
    {
        var thinking = GrammarNode.Sequence(GrammarNode.Literal(AnalysisHeader),
            UntilMarker.Build(b, "analysis", Bytes(HarmonyParser.End),
                Bytes(HarmonyParser.Return), Bytes(HarmonyParser.Call), Bytes(HarmonyParser.Start)), GrammarNode.Literal(NextMessage));
        int root = b.Rule("harmony-root");
        b.Define(root, GrammarNode.Sequence(GrammarNode.Optional(thinking), message));
        return b.Build(root);
    }
}
