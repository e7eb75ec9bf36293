using System.Text.Json.Nodes;

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
    /// <summary>A constraint on the output's form (JSON, a JSON schema), when the request asks for one.</summary>
    public StructuredOutput? Output { get; init; }
    /// <summary>Reasoning ("thinking") settings, when the request has any.</summary>
    public ReasoningSettings? Reasoning { get; init; }
}

/// <summary>Function tools a request offers the model, in OpenAI's chat shape
/// (<c>[{"type":"function","function":{"name","description","parameters"}}]</c>), whatever the protocol wrote.</summary>
/// <param name="Definitions">The tools, normalized to OpenAI's chat shape (what chat templates expect).</param>
/// <param name="Choice">tool_choice as the request gave it ("auto", "none", "required", or a named tool), or null.</param>
/// <param name="Param">The request field the tools came from, for error messages.</param>
/// <param name="PassToTemplateOnly">True for the protocols that, before tool calling existed, gave tools to the chat
/// template without parsing calls out of the answer (OpenAI chat completions, Ollama chat); other protocols' tools
/// are refused until tool calling lands (issue 22).</param>
public sealed record ToolSettings(JsonArray Definitions, JsonNode? Choice, string Param, bool PassToTemplateOnly = false);

/// <summary>A requested output form: "json" (any JSON object) or "json_schema" with its schema.</summary>
/// <param name="Kind">"json" or "json_schema".</param>
/// <param name="Schema">The JSON schema for "json_schema".</param>
/// <param name="Param">The request field it came from ("response_format", "format", "text.format").</param>
/// <param name="Advisory">True where the protocol accepted the field before it was enforced (OpenAI
/// response_format, Ollama format): it is then not refused until the grammar engine (issue 22) enforces it.</param>
public sealed record StructuredOutput(string Kind, JsonObject? Schema, string Param, bool Advisory = false);

/// <summary>Reasoning settings: Anthropic's thinking budget, OpenAI's reasoning effort.</summary>
/// <param name="Param">The request field ("thinking", "reasoning").</param>
/// <param name="Effort">OpenAI's effort ("low", "medium", "high") or null.</param>
/// <param name="BudgetTokens">Anthropic's budget_tokens or null.</param>
public sealed record ReasoningSettings(string Param, string? Effort = null, int? BudgetTokens = null);
