using System.Text.Json.Nodes;
using Hearth.Engine.Structured;

namespace Hearth.Server.Generation;

/// <summary>One generation request after its protocol's parser validated it: what every protocol (OpenAI chat and
/// completions, Ollama chat and generate, Anthropic Messages, OpenAI Responses) asks of the model, in one shape.
/// <see cref="GenerationPipeline"/> does the rest.</summary>
public sealed record GenerationSpec
{
    /// <summary>The model name; null or empty: the server's default model.</summary>
    public string? Model { get; init; }
    /// <summary>How long the model stays loaded after this request (Ollama's keep_alive); null: the host's default.</summary>
    public TimeSpan? KeepAlive { get; init; }
    /// <summary>What the model reads.</summary>
    public required PromptSpec Prompt { get; init; }
    /// <summary>Further prompts (OpenAI completions' prompt arrays): each runs with the same sampling, its choices
    /// numbered after the previous prompt's.</summary>
    public IReadOnlyList<PromptSpec> MorePrompts { get; init; } = [];
    /// <summary>The API's defaults for options a request leaves out (OpenAI's or Ollama's); the model's Modelfile
    /// parameters go over them and <see cref="Sampling"/> over both.</summary>
    public SamplingBuilder Defaults { get; init; } = new();
    /// <summary>Sampling options set by the request.</summary>
    public SamplingBuilder Sampling { get; init; } = new();
    /// <summary>The request field that caps the completion ("max_tokens", "max_completion_tokens",
    /// "max_output_tokens", "options.num_predict"), named in limit errors.</summary>
    public string MaxTokensParam { get; init; } = "max_tokens";
    /// <summary>A requested maximum beyond the context is cut to what fits (Ollama: the answer then ends with
    /// "length") instead of refused with a 400 (OpenAI, Anthropic).</summary>
    public bool ClampMaxTokens { get; init; }
    /// <summary>Stream the answer (SSE, NDJSON or Anthropic events, as the protocol's writer frames it).</summary>
    public bool Stream { get; init; }
    /// <summary>Tool definitions (function tools), when the request has any. See <see cref="ToolSettings"/>.</summary>
    public ToolSettings? Tools { get; init; }
    /// <summary>A constraint on the output's form (JSON, a JSON schema, a regex…), when the request asks for one.</summary>
    public StructuredOutput? Output { get; init; }
    /// <summary>Reasoning ("thinking") settings, when the request has any.</summary>
    public ReasoningSettings? Reasoning { get; init; }
    /// <summary>Extra variables for the chat template (vLLM's chat_template_kwargs), when the request has any.</summary>
    public System.Text.Json.Nodes.JsonObject? TemplateArgs { get; init; }
    /// <summary>llama-server's per-request adapters and scales (<c>lora</c>), when the request has the field.</summary>
    public LoraRequest? Lora { get; init; }
}

/// <summary>Function tools a request offers the model, in OpenAI's chat shape
/// (<c>[{"type":"function","function":{"name","description","parameters"}}]</c>), whatever the protocol wrote. A
/// protocol whose writer is not an <see cref="IToolCallWriter"/> gets a 400 for tools.</summary>
/// <param name="Definitions">The tools, normalized to OpenAI's chat shape (what chat templates expect).</param>
/// <param name="Choice">tool_choice as the request gave it ("auto", "none", "required", or a named tool), or null.</param>
/// <param name="Param">The request field the tools came from, for error messages.</param>
public sealed record ToolSettings(JsonArray Definitions, JsonNode? Choice, string Param);

/// <summary>A constraint on the output (JSON, a JSON schema, a regex, a choice, a GBNF grammar), enforced by the
/// engine's grammar masks.</summary>
/// <param name="Constraint">What the output must follow.</param>
/// <param name="Param">The request field it came from ("response_format", "format", "guided_json", "grammar"…).</param>
public sealed record StructuredOutput(OutputConstraint Constraint, string Param);

/// <summary>Reasoning ("thinking") settings: whether the model should think, from Ollama's `think`, vLLM's
/// `chat_template_kwargs.enable_thinking`, Anthropic's `thinking` or OpenAI's `reasoning`.</summary>
/// <param name="Param">The request field ("think", "thinking", "reasoning", "chat_template_kwargs").</param>
/// <param name="Enabled">True: think (a 400 for a model that cannot); false: do not (the template's enable_thinking
/// is set false where it has one, and any thinking the model still writes is dropped); null: the model's default.</param>
public sealed record ReasoningSettings(string Param, bool? Enabled = null);
