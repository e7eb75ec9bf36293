using Hearth.Engine.Structured;
using Hearth.Server.Http;

namespace Hearth.Server.Generation;

/// <summary>Compiles a request's output constraint (cached by hash in <see cref="GrammarCache"/>). A schema, regex or
/// grammar that cannot be enforced is a 400 naming the request field and, for a schema, the keyword.</summary>
public static class OutputGrammar
{
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
