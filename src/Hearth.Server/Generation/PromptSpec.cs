using System.Text.Json.Nodes;
using Hearth.Engine;
using Hearth.Engine.Structured.Reasoning;
using Hearth.Store.Hosting;

namespace Hearth.Server.Generation;

/// <summary>What the chat template gets besides the messages: tool definitions and extra variables
/// (enable_thinking, vLLM's chat_template_kwargs).</summary>
public sealed record PromptOptions(JsonArray? Tools = null, JsonObject? TemplateArgs = null)
{
    public static PromptOptions None { get; } = new();
}

/// <summary>What the model reads, before the model is known: turned into prompt tokens once it is loaded.</summary>
public abstract record PromptSpec
{
    /// <summary>The request field the prompt came from ("messages", "prompt", "input"), named in errors.</summary>
    public abstract string Param { get; }

    /// <summary>The prompt tokens for <paramref name="model"/>.</summary>
    public abstract int[] Tokens(LoadedModel model, PromptOptions options);

    /// <summary>Whether the rendered prompt leaves the model inside a thinking block (its generation prompt opens
    /// one); null for a prompt that does not go through the chat template (then its output is not split).</summary>
    public virtual bool? OpensThinking(LoadedModel model, PromptOptions options, ReasoningFormat format) => null;

    /// <summary>The prompt as the client wrote it, for OpenAI completions' echo.</summary>
    public virtual string Text(LoadedModel model) => throw new NotSupportedException($"{GetType().Name} has no echo text");
}

/// <summary>A chat, rendered with the model's template.</summary>
public sealed record ChatPrompt(IReadOnlyList<ChatMessage> Messages, string Field = "messages") : PromptSpec
{
    public override string Param => Field;
    public override int[] Tokens(LoadedModel model, PromptOptions options) => PromptBuilder.Chat(model, Messages, options);

    public override bool? OpensThinking(LoadedModel model, PromptOptions options, ReasoningFormat format) =>
        PromptBuilder.OpensThinking(model, Messages, options, format);
}

/// <summary>Plain text, tokenized as is (OpenAI completions).</summary>
public sealed record TextPrompt(string Prompt) : PromptSpec
{
    public override string Param => "prompt";
    public override int[] Tokens(LoadedModel model, PromptOptions options) => PromptBuilder.Encode(model.Tokenizer, Prompt);
    public override string Text(LoadedModel model) => Prompt;
}

/// <summary>Token ids given by the client (OpenAI completions' array prompt), checked against the vocabulary.</summary>
public sealed record TokenPrompt(IReadOnlyList<int> Ids) : PromptSpec
{
    public override string Param => "prompt";
    public override int[] Tokens(LoadedModel model, PromptOptions options)
    {
        for (var i = 0; i < Ids.Count; i++) RequestLimits.CheckTokenId(model.Engine.Limits, Ids[i], $"prompt[{i}]", "prompt");
        return [.. Ids];
    }

    /// <summary>The prompt as text (echo): the ids decoded.</summary>
    public override string Text(LoadedModel model) => model.Tokenizer.Decode(Ids.ToArray());
}

/// <summary>Ollama's /api/generate: a prompt (and system text) through the template unless raw or the model has
/// none, after the tokens of an earlier exchange (`context`).</summary>
public sealed record GeneratePrompt(string Prompt, string? System, bool Raw, int[] Context) : PromptSpec
{
    public override string Param => "prompt";

    public override int[] Tokens(LoadedModel model, PromptOptions options)
    {
        int[] tokens = Raw || model.ChatTemplate is null
            ? PromptBuilder.Encode(model.Tokenizer, System is null ? Prompt : System + "\n" + Prompt)
            : PromptBuilder.Chat(model, Messages(), options);
        if (Context.Length == 0) return tokens;
        for (var i = 0; i < Context.Length; i++) RequestLimits.CheckTokenId(model.Engine.Limits, Context[i], $"context[{i}]", "context");
        // Continue a previous exchange: its tokens already start with BOS.
        var bos = model.Tokenizer.BosId;
        return [.. Context, .. tokens.Length > 0 && tokens[0] == bos ? tokens[1..] : tokens];
    }

    public override bool? OpensThinking(LoadedModel model, PromptOptions options, ReasoningFormat format) =>
        Raw || model.ChatTemplate is null ? null : PromptBuilder.OpensThinking(model, Messages(), options, format);

    private List<ChatMessage> Messages()
    {
        var messages = new List<ChatMessage>();
        if (System is not null) messages.Add(new ChatMessage("system", System, new JsonObject()));
        messages.Add(new ChatMessage("user", Prompt, new JsonObject()));
        return messages;
    }
}
