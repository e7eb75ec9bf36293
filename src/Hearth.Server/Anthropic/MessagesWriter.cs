using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Hearth.Engine;
using Hearth.Engine.Structured.Tools;
using Hearth.Server.Generation;
using Hearth.Server.Http;
using Hearth.Server.OpenAi;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.Anthropic;

/// <summary>Answers /v1/messages: a message object, or Anthropic's event stream: message_start, then per content
/// block (thinking, text, tool_use) content_block_start, content_block_delta (thinking_delta, text_delta,
/// input_json_delta)…, content_block_stop — with a ping after the first block's start — then message_delta
/// (stop_reason, usage) and message_stop; a failure after the start is an `error` event.</summary>
public sealed class MessagesWriter(HttpContext ctx, IReadOnlyList<string> stopSequences) : IResponseWriter, IReasoningWriter, IToolCallWriter
{
    private static AnthropicJsonContext Json => AnthropicJsonContext.Api;
    private readonly string _id = "msg_" + RequestRecord.Of(ctx).Id;
    private FinishReason? _finish;
    private string? _stop;
    private bool _toolUse, _pinged;
    private int _index = -1;
    private string? _open; // the type of the block being streamed ("thinking", "text", "tool_use"), or null
    private bool _toolInputStreamed; // the open tool_use block got its input as partial JSON

    /// <summary>end_turn, max_tokens, tool_use, or stop_sequence when one of the request's stop_sequences ended it
    /// (a model's own stop strings end a turn).</summary>
    private (string? Reason, string? Sequence) StopReason(FinishReason? finish, string? stop, bool toolUse) => finish switch
    {
        FinishReason.Length => ("max_tokens", null),
        _ when toolUse => ("tool_use", null),
        FinishReason.Stop when stop is not null && stopSequences.Contains(stop) => ("stop_sequence", stop),
        null => (null, null),
        _ => ("end_turn", null),
    };

    private static AnthropicUsage Usage(GenerationRun run) =>
        new(run.PromptTokens - run.CachedPromptTokens, run.CompletionTokens, 0, run.CachedPromptTokens);

    public Task WriteCompleteAsync(GenerationRun run, IReadOnlyList<CollectedChoice> choices)
    {
        var c = choices[0];
        var content = new List<JsonObject>();
        if (!string.IsNullOrEmpty(c.Reasoning)) content.Add(AnthropicBlocks.Thinking(c.Reasoning));
        if (c.Text.Length > 0 || c.ToolCalls.Count == 0) content.Add(AnthropicBlocks.Text(c.Text.ToString()));
        foreach (var call in c.ToolCalls) content.Add(AnthropicBlocks.ToolUse(call.Id, call.Name, Input(call)));
        var (reason, sequence) = StopReason(c.Reason, c.StopSequence, c.ToolCalls.Count > 0);
        return WriteJsonAsync(ctx, new AnthropicMessage(_id, run.Model.Name, content, reason, sequence, Usage(run)), Json.AnthropicMessage);
    }

    public async Task StartStreamAsync(GenerationRun run)
    {
        await Sse.StartAsync(ctx);
        var start = new AnthropicMessage(_id, run.Model.Name, [], null, null, new AnthropicUsage(run.PromptTokens, 0));
        await EventAsync("message_start", new MessageStartEvent(start), Json.MessageStartEvent);
        // The text block opens at once (as Anthropic does), unless the answer may start with shown thinking: then
        // blocks open when their first delta comes.
        if (run.Reasoning is not { Show: true }) await OpenAsync("text");
    }

    public async Task WriteDeltaAsync(GenerationRun run, GenerationDelta d)
    {
        if (d.Text.Length > 0)
        {
            await OpenAsync("text");
            await EventAsync("content_block_delta", new ContentBlockDeltaEvent(_index, AnthropicBlocks.TextDelta(d.Text)), Json.ContentBlockDeltaEvent);
        }
        if (d.Finish is { } f) (_finish, _stop) = (f, d.StopReason);
    }

    public async Task WriteReasoningAsync(GenerationRun run, int index, string text)
    {
        await OpenAsync("thinking");
        await EventAsync("content_block_delta", new ContentBlockDeltaEvent(_index, AnthropicBlocks.ThinkingDelta(text)), Json.ContentBlockDeltaEvent);
    }

    /// <summary>A call opens its tool_use block (input {}); its arguments follow as input_json_delta events.</summary>
    public async Task StartToolCallAsync(GenerationRun run, int index, int call, string id, string name)
    {
        await CloseAsync();
        _index++;
        _open = "tool_use";
        _toolInputStreamed = false;
        await EventAsync("content_block_start", new ContentBlockStartEvent(_index, AnthropicBlocks.ToolUse(id, name, new JsonObject())), Json.ContentBlockStartEvent);
        await PingOnceAsync();
    }

    /// <summary>Streams an object's arguments as partial_json; arguments that are not an object (rare: the input must
    /// be one) are left out and the block closes with "{}".</summary>
    public async Task WriteToolArgumentsAsync(GenerationRun run, int index, int call, string fragment)
    {
        if (_open != "tool_use" || (!_toolInputStreamed && !fragment.StartsWith('{'))) return;
        _toolInputStreamed = true;
        await EventAsync("content_block_delta", new ContentBlockDeltaEvent(_index, AnthropicBlocks.InputJsonDelta(fragment)), Json.ContentBlockDeltaEvent);
    }

    public async Task EndToolCallsAsync(GenerationRun run, int index, IReadOnlyList<ToolCall> calls)
    {
        await CloseAsync();
        _toolUse = true;
        _finish = FinishReason.Stop;
    }

    public async Task EndStreamAsync(GenerationRun run)
    {
        if (_index < 0) await OpenAsync("text"); // an empty answer is one empty text block
        await CloseAsync();
        var (reason, sequence) = StopReason(_finish, _stop, _toolUse);
        await EventAsync("message_delta", new MessageDeltaEvent(new StopDelta(reason, sequence), Usage(run)), Json.MessageDeltaEvent);
        await EventAsync("message_stop", new TypeOnlyEvent("message_stop"), Json.TypeOnlyEvent);
    }

    public Task WriteStreamErrorAsync(string message) =>
        Sse.WriteEventAsync(ctx, "error", JsonOut.ToBytes(w => ErrorWriter.WriteAnthropicError(w, message, "server_error", null)));

    /// <summary>Makes a block of this type the open one (closing another first).</summary>
    private async Task OpenAsync(string type)
    {
        if (_open == type) return;
        await CloseAsync();
        _index++;
        _open = type;
        var block = type == "thinking" ? AnthropicBlocks.Thinking("") : AnthropicBlocks.Text("");
        await EventAsync("content_block_start", new ContentBlockStartEvent(_index, block), Json.ContentBlockStartEvent);
        await PingOnceAsync();
    }

    private async Task CloseAsync()
    {
        if (_open is null) return;
        if (_open == "tool_use" && !_toolInputStreamed)
            await EventAsync("content_block_delta", new ContentBlockDeltaEvent(_index, AnthropicBlocks.InputJsonDelta("{}")), Json.ContentBlockDeltaEvent);
        _open = null;
        await EventAsync("content_block_stop", new ContentBlockStopEvent(_index), Json.ContentBlockStopEvent);
    }

    private async Task PingOnceAsync()
    {
        if (_pinged) return;
        _pinged = true;
        await EventAsync("ping", new TypeOnlyEvent("ping"), Json.TypeOnlyEvent);
    }

    /// <summary>The call's arguments as the input object (arguments that are not a JSON object go in as {}).</summary>
    private static JsonNode Input(ToolCall call)
    {
        try
        {
            return JsonNode.Parse(call.Arguments.Length == 0 ? "{}" : call.Arguments) as JsonObject ?? new JsonObject();
        }
        catch (System.Text.Json.JsonException)
        {
            return new JsonObject(); // the parsers only produce JSON arguments; this is belt and braces
        }
    }

    private Task EventAsync<T>(string name, T value, JsonTypeInfo<T> type) =>
        Sse.WriteEventAsync(ctx, name, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(value, type));

    /// <summary>A whole JSON response from a source-generated type.</summary>
    internal static Task WriteJsonAsync<T>(HttpContext ctx, T value, JsonTypeInfo<T> type) =>
        JsonOut.WriteAsync(ctx, 200, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(value, type));
}
