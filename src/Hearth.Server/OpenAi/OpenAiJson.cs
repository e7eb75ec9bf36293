using System.Text;
using System.Text.Json;
using Hearth.Core.Tokenizers;
using Hearth.Engine;
using Hearth.Server.Generation;

namespace Hearth.Server.OpenAi;

/// <summary>Writers for the JSON pieces OpenAI responses share: usage and both logprobs shapes.</summary>
public static class OpenAiJson
{
    /// <summary>The fields every completion object and chunk starts with: id, object, created, model.</summary>
    public static void WriteHeader(Utf8JsonWriter w, string id, string objectType, long created, string model)
    {
        w.WriteString("id", id);
        w.WriteString("object", objectType);
        w.WriteNumber("created", created);
        w.WriteString("model", model);
    }

    public static void WriteUsage(Utf8JsonWriter w, GenerationRun run)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", run.PromptTokens);
        w.WriteNumber("completion_tokens", run.CompletionTokens);
        w.WriteNumber("total_tokens", run.PromptTokens + run.CompletionTokens);
        w.WriteStartObject("prompt_tokens_details");
        w.WriteNumber("cached_tokens", run.CachedPromptTokens);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>A token's text for logprobs displays: its bytes, decoded leniently (a token can be half a character).</summary>
    private static (string Text, byte[] Bytes) Token(ITokenizer tok, int id)
    {
        var bytes = tok.TokenBytes(id, renderSpecial: true);
        return (Encoding.UTF8.GetString(bytes), bytes);
    }

    /// <summary>Chat shape: {"content":[{"token","logprob","bytes","top_logprobs":[…]}]}.</summary>
    public static void WriteChatLogprobs(Utf8JsonWriter w, ITokenizer tok, IEnumerable<TokenLogprob>? logprobs)
    {
        if (logprobs is null) { w.WriteNull("logprobs"); return; }
        w.WriteStartObject("logprobs");
        w.WriteStartArray("content");
        foreach (var lp in logprobs)
        {
            w.WriteStartObject();
            WriteChatToken(w, tok, lp.TokenId, lp.Logprob);
            w.WriteStartArray("top_logprobs");
            foreach (var t in lp.Top)
            {
                w.WriteStartObject();
                WriteChatToken(w, tok, t.TokenId, t.Logprob);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteChatToken(Utf8JsonWriter w, ITokenizer tok, int id, float logprob)
    {
        var (text, bytes) = Token(tok, id);
        w.WriteString("token", text);
        w.WriteNumber("logprob", logprob);
        w.WriteStartArray("bytes");
        foreach (var b in bytes) w.WriteNumberValue(b);
        w.WriteEndArray();
    }

    /// <summary>Completions shape: {"tokens","token_logprobs","top_logprobs":[{text:logprob}],"text_offset"}.
    /// <paramref name="offset"/> is the text offset of the first token within the choice's text.</summary>
    public static void WriteCompletionLogprobs(Utf8JsonWriter w, ITokenizer tok, IReadOnlyList<TokenLogprob>? logprobs, int offset)
    {
        if (logprobs is null) { w.WriteNull("logprobs"); return; }
        var texts = logprobs.Select(l => Token(tok, l.TokenId).Text).ToList();
        w.WriteStartObject("logprobs");
        w.WriteStartArray("tokens");
        foreach (var t in texts) w.WriteStringValue(t);
        w.WriteEndArray();
        w.WriteStartArray("token_logprobs");
        foreach (var l in logprobs) w.WriteNumberValue(l.Logprob);
        w.WriteEndArray();
        w.WriteStartArray("top_logprobs");
        foreach (var l in logprobs)
        {
            w.WriteStartObject();
            foreach (var t in l.Top)
            {
                var name = Token(tok, t.TokenId).Text;
                w.WriteNumber(name, t.Logprob); // duplicate names (two tokens rendering alike) keep the first, as JSON readers do
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("text_offset");
        var pos = offset;
        foreach (var t in texts) { w.WriteNumberValue(pos); pos += t.Length; }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
