using Hearth.Engine.Structured;
using Hearth.Server.Http;
using Hearth.Store.Hosting;

namespace Hearth.Server.Generation;

/// <summary>Compiles a request's output constraint (cached by hash in <see cref="GrammarCache"/>). A schema, regex or
/// grammar that cannot be enforced is a 400 naming the request field and, for a schema, the keyword.</summary>
public static class OutputGrammar
{
    /// <summary>A 400 when the model's vocabulary cannot write even the first token the grammar needs (e.g. a tiny
    /// vocabulary without '{'), rather than a generation that fails at its first step. The mask is cached.</summary>
    public static void CheckVocabulary(Grammar grammar, LoadedModel model, string param)
    {
        var matcher = new GrammarMatcher(grammar, TokenTrie.For(model.Tokenizer, model.Shape.VocabSize));
        var mask = new ulong[matcher.MaskWords];
        matcher.FillMask(mask);
        if (Array.TrueForAll(mask, w => w == 0))
            throw ApiException.BadRequest($"the model '{model.Name}' has no token that can start an output of the requested form", param, "unsupported_by_model");
    }

    public static Grammar Compile(StructuredOutput output)
    {
        try
        {
            return GrammarCache.Get(output.Constraint);
        }
        catch (GrammarException e)
        {
            bool schema = output.Constraint.Kind == ConstraintKind.JsonSchema && e.Keyword is not null;
            string param = schema ? $"{output.Param}: {e.Keyword}" : output.Param;
            throw ApiException.BadRequest(e.Message, param, schema ? "unsupported_schema" : "invalid_grammar");
        }
    }
}
