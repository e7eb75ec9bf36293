using System.Text.Json.Nodes;
using Hearth.Engine;
using Hearth.Store.Hosting;

namespace Hearth.Server.Generation;

/// <summary>What the model reads, before the model is known: turned into prompt tokens once it is loaded.</summary>
public abstract record PromptSpec
{
    /// <summary>The request field the prompt came from ("messages", "prompt", "input"), named in errors.</summary>
    public abstract string Param { get; }

    /// <summary>The prompt tokens for <paramref name="model"/>.</summary>
    public abstract int[] Tokens(LoadedModel model, ToolSettings? tools);

    /// <summary>The prompt as the client wrote it, for OpenAI completions' echo.</summary>
    public virtual string Text(LoadedModel model) => throw new NotSupportedException($"{GetType().Name} has no echo text");
}

/// <summary>A chat, rendered with the model's template.</summary>
public sealed record ChatPrompt(IReadOnlyList<ChatMessage> Messages, string Field = "messages") : PromptSpec
{
    public override string Param => Field;
    public override int[] Tokens(LoadedModel model, ToolSettings? tools) => PromptBuilder.Chat(model, Messages, tools?.Definitions);
}

/// <summary>Plain text, tokenized as is (OpenAI completions).</summary>
public sealed record TextPrompt(string Prompt) : PromptSpec
{
    public override string Param => "prompt";
    public override int[] Tokens(LoadedModel model, ToolSettings? tools) => PromptBuilder.Encode(model.Tokenizer, Prompt);
    public override string Text(LoadedModel model) => Prompt;
}

/// <summary>Token ids given by the client (OpenAI completions' array prompt), checked against the vocabulary.</summary>
public sealed record TokenPrompt(IReadOnlyList<int> Ids) : PromptSpec
{
    public override string Param => "prompt";
    public override int[] Tokens(LoadedModel model, ToolSettings? tools)
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

    public override int[] Tokens(LoadedModel model, ToolSettings? tools)
    {
        int[] tokens;
        if (Raw || model.ChatTemplate is null)
            tokens = PromptBuilder.Encode(model.Tokenizer, System is null ? Prompt : System + "\n" + Prompt);
        else
        {
            var messages = new List<ChatMessage>();
            if (System is not null) messages.Add(new ChatMessage("system", System, new JsonObject()));
            messages.Add(new ChatMessage("user", Prompt, new JsonObject()));
            tokens = PromptBuilder.Chat(model, messages);
        }
        if (Context.Length == 0) return tokens;
        for (var i = 0; i < Context.Length; i++) RequestLimits.CheckTokenId(model.Engine.Limits, Context[i], $"context[{i}]", "context");
        // Continue a previous exchange: its tokens already start with BOS.
        var bos = model.Tokenizer.BosId;
        return [.. Context, .. tokens.Length > 0 && tokens[0] == bos ? tokens[1..] : tokens];
    }
}
