using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Engine.Structured;
using Hearth.Server.Generation;
using Hearth.Server.Http;

namespace Hearth.Server.OpenAi;

/// <summary>The request fields /v1/chat/completions and /v1/completions share, validated.</summary>
public sealed record OpenAiParams(string? Model, bool Stream, bool IncludeUsage, SamplingBuilder Sampling, string MaxTokensParam)
{
    /// <summary>Parses sampling and streaming fields (OpenAI names plus vLLM's extensions). <paramref name="chat"/>
    /// selects the chat shape of logprobs (bool + top_logprobs) over the completions shape (an int).</summary>
    public static OpenAiParams Parse(JsonArgs a, bool chat)
    {
        var model = a.String("model");
        a.String("user"); // validated for type; not used
        var stream = a.Bool("stream") ?? false;
        var includeUsage = a.Obj("stream_options")?.Bool("include_usage") ?? false;
        var s = new SamplingBuilder
        {
            N = a.Int("n", 1, 16),
            Temperature = (float?)a.Number("temperature", 0, 2),
            TopP = (float?)a.Number("top_p", 0, 1),
            FrequencyPenalty = (float?)a.Number("frequency_penalty", -2, 2),
            PresencePenalty = (float?)a.Number("presence_penalty", -2, 2),
            RepetitionPenalty = (float?)a.Number("repetition_penalty", 0, 100),
            MinP = (float?)a.Number("min_p", 0, 1),
            TopK = a.Int("top_k", -1, 1_000_000) is { } k ? Math.Max(k, 0) : null, // vLLM: -1 disables; so does 0
            MinTokens = a.Int("min_tokens", 0),
            IgnoreEos = a.Bool("ignore_eos"),
            Stop = a.StringOrArray("stop"),
        };
        if (s.TopP == 0) throw ApiException.BadRequest("'top_p' must be greater than 0", "top_p");
        if (s.RepetitionPenalty == 0) throw ApiException.BadRequest("'repetition_penalty' must be greater than 0", "repetition_penalty");
        if (s.Stop is { Count: > 16 }) throw ApiException.BadRequest("'stop' may hold at most 16 sequences", "stop");
        if (s.Stop is { } stops && stops.Any(x => x.Length == 0)) throw ApiException.BadRequest("'stop' sequences must not be empty", "stop");
        if (a.Integer("seed") is { } seed) s.Seed = unchecked((ulong)seed);
        s.LogitBias = LogitBias(a.Obj("logit_bias"));

        var maxParam = "max_tokens";
        s.MaxTokens = a.Int("max_tokens", 1);
        if (chat && a.Int("max_completion_tokens", 1) is { } mct) { s.MaxTokens = mct; maxParam = "max_completion_tokens"; }

        if (chat)
        {
            var logprobs = a.Bool("logprobs") ?? false;
            var top = a.Int("top_logprobs", 0, 20);
            if (top is not null && !logprobs) throw ApiException.BadRequest("'top_logprobs' requires 'logprobs' to be true", "top_logprobs");
            if (logprobs) s.Logprobs = top ?? 0;
        }
        else
        {
            s.Logprobs = a.Int("logprobs", 0, 20);
            if (a.String("suffix") is { Length: > 0 }) throw ApiException.BadRequest("'suffix' is not supported", "suffix");
            if (a.Int("best_of", 1, 16) is { } bestOf && bestOf != (s.N ?? 1)) throw ApiException.BadRequest("'best_of' must equal 'n'", "best_of");
        }
        return new OpenAiParams(model, stream, includeUsage, s, maxParam);
    }

    /// <summary>logit_bias: {"token id": bias in [-100, 100]}; the ids are checked against the model's vocabulary
    /// once the model is known (<see cref="RequestLimits"/>).</summary>
    private static List<Hearth.Engine.TokenBias>? LogitBias(JsonArgs? o)
    {
        if (o is null) return null;
        if (o.Object.Count > 300) throw ApiException.BadRequest("'logit_bias' may hold at most 300 tokens", "logit_bias");
        var list = new List<Hearth.Engine.TokenBias>(o.Object.Count);
        foreach (var (key, _) in o.Object)
        {
            if (!int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
                throw ApiException.BadRequest($"'logit_bias' keys must be token ids, not '{key}'", "logit_bias");
            // Number() returns null for a JSON null: a bias must be given, so that is a 400 like any other bad value.
            var bias = o.Number(key, -100, 100) ?? throw ApiException.BadRequest($"'logit_bias.{key}' must be a number in [-100, 100]", "logit_bias");
            list.Add(new Hearth.Engine.TokenBias(id, (float)bias));
        }
        return list;
    }

    /// <summary>`response_format`: {"type":"text"} asks for nothing; "json_object" any JSON object; "json_schema" the
    /// schema under json_schema.schema (strict or not, it is enforced).</summary>
    public static StructuredOutput? ResponseFormat(JsonArgs a)
    {
        var format = a.Obj("response_format");
        var type = format?.String("type");
        return type switch
        {
            null or "text" => null,
            "json_object" => new StructuredOutput(OutputConstraint.Json(), "response_format"),
            "json_schema" => new StructuredOutput(OutputConstraint.Schema((format!.Obj("json_schema")?.Obj("schema")?.Object
                ?? throw ApiException.BadRequest("'response_format.json_schema.schema' is required for type \"json_schema\"", "response_format.json_schema.schema"))
                .ToJsonString()), "response_format"),
            _ => throw ApiException.BadRequest($"'response_format.type' must be \"text\", \"json_object\" or \"json_schema\", not \"{type}\"", "response_format.type"),
        };
    }

    /// <summary>The output constraint of an OpenAI-compatible request: response_format, or one of the vLLM extras
    /// (structured_outputs / guided_json, guided_regex, guided_choice, guided_grammar) or llama.cpp's grammar /
    /// json_schema. More than one is a 400.</summary>
    public static StructuredOutput? Output(JsonArgs a)
    {
        var found = new List<StructuredOutput>();
        if (ResponseFormat(a) is { } rf) found.Add(rf);
        if (a.Obj("structured_outputs") is { } so) found.AddRange(Extras(so, "structured_outputs.", "json", "regex", "choice", "grammar", "json_object"));
        found.AddRange(Extras(a, "", "guided_json", "guided_regex", "guided_choice", "guided_grammar", null));
        if (a.Object["json_schema"] is JsonObject llamaSchema) found.Add(new StructuredOutput(OutputConstraint.Schema(llamaSchema.ToJsonString()), "json_schema"));
        if (a.String("grammar") is { Length: > 0 } gbnf) found.Add(new StructuredOutput(OutputConstraint.Gbnf(gbnf), "grammar"));
        if (found.Count > 1)
            throw ApiException.BadRequest($"only one output constraint may be given; got {string.Join(", ", found.Select(f => f.Param))}", found[1].Param);
        return found.Count == 1 ? found[0] : null;
    }

    private static IEnumerable<StructuredOutput> Extras(JsonArgs a, string prefix, string json, string regex, string choice, string grammar, string? jsonObject)
    {
        var o = a.Object;
        if (o[json] is { } schema)
            yield return new StructuredOutput(OutputConstraint.Schema(schema is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : schema.ToJsonString()), prefix + json);
        if (a.String(regex) is { } pattern) yield return new StructuredOutput(OutputConstraint.Pattern(pattern), prefix + regex);
        if (a.Array(choice) is { } options)
        {
            if (options.Count == 0 || options.Any(x => x is not JsonValue ov || ov.GetValueKind() != JsonValueKind.String))
                throw ApiException.BadRequest($"'{prefix + choice}' must be a non-empty array of strings", prefix + choice);
            yield return new StructuredOutput(OutputConstraint.OneOf([.. options.Select(x => x!.GetValue<string>())]), prefix + choice);
        }
        if (a.String(grammar) is { } g) yield return new StructuredOutput(OutputConstraint.Gbnf(g), prefix + grammar);
        if (jsonObject is not null && a.Bool(jsonObject) == true) yield return new StructuredOutput(OutputConstraint.Json(), prefix + jsonObject);
    }
}
