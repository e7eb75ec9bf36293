using System.Text.Json.Serialization.Metadata;
using Hearth.Engine;
using Hearth.Server.Generation;
using Hearth.Server.Http;
using Hearth.Server.OpenAi;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.Anthropic;

/// <summary>Answers /v1/messages: a message object, or Anthropic's event stream: message_start,
/// content_block_start, ping, content_block_delta (text_delta)…, content_block_stop, message_delta (stop_reason,
/// usage), message_stop; a failure after the start is an `error` event.</summary>
public sealed class MessagesWriter(HttpContext ctx, IReadOnlyList<string> stopSequences) : IResponseWriter
{
    private static AnthropicJsonContext Json => AnthropicJsonContext.Api;
    private readonly string _id = "msg_" + RequestRecord.Of(ctx).Id;
    private FinishReason? _finish;
    private string? _stop;

    /// <summary>end_turn, max_tokens, or stop_sequence when one of the request's stop_sequences ended it (a model's
    /// own stop strings end a turn).</summary>
    private (string? Reason, string? Sequence) StopReason(FinishReason? finish, string? stop) => finish switch
    {
        FinishReason.Length => ("max_tokens", null),
        FinishReason.Stop when stop is not null && stopSequences.Contains(stop) => ("stop_sequence", stop),
        null => (null, null),
        _ => ("end_turn", null),
    };

    private static AnthropicUsage Usage(GenerationRun run) =>
        new(run.PromptTokens - run.CachedPromptTokens, run.CompletionTokens, 0, run.CachedPromptTokens);

    public Task WriteCompleteAsync(GenerationRun run, IReadOnlyList<CollectedChoice> choices)
    {
        var (reason, sequence) = StopReason(choices[0].Reason, choices[0].StopSequence);
        var message = new AnthropicMessage(_id, run.Model.Name, [new AnthropicTextBlock(choices[0].Text.ToString())], reason, sequence, Usage(run));
        return WriteJsonAsync(ctx, message, Json.AnthropicMessage);
    }

    public async Task StartStreamAsync(GenerationRun run)
    {
        await Sse.StartAsync(ctx);
        var start = new AnthropicMessage(_id, run.Model.Name, [], null, null, new AnthropicUsage(run.PromptTokens, 0));
        await EventAsync("message_start", new MessageStartEvent(start), Json.MessageStartEvent);
        await EventAsync("content_block_start", new ContentBlockStartEvent(0, new AnthropicTextBlock("")), Json.ContentBlockStartEvent);
        await EventAsync("ping", new TypeOnlyEvent("ping"), Json.TypeOnlyEvent);
    }

    public async Task WriteDeltaAsync(GenerationRun run, GenerationDelta d)
    {
        if (d.Text.Length > 0) await EventAsync("content_block_delta", new ContentBlockDeltaEvent(0, new TextDelta(d.Text)), Json.ContentBlockDeltaEvent);
        if (d.Finish is { } f) (_finish, _stop) = (f, d.StopReason);
    }

    public async Task EndStreamAsync(GenerationRun run)
    {
        await EventAsync("content_block_stop", new ContentBlockStopEvent(0), Json.ContentBlockStopEvent);
        var (reason, sequence) = StopReason(_finish, _stop);
        await EventAsync("message_delta", new MessageDeltaEvent(new StopDelta(reason, sequence), Usage(run)), Json.MessageDeltaEvent);
        await EventAsync("message_stop", new TypeOnlyEvent("message_stop"), Json.TypeOnlyEvent);
    }

    public Task WriteStreamErrorAsync(string message) =>
        Sse.WriteEventAsync(ctx, "error", JsonOut.ToBytes(w => ErrorWriter.WriteAnthropicError(w, message, "server_error", null)));

    private Task EventAsync<T>(string name, T value, JsonTypeInfo<T> type) =>
        Sse.WriteEventAsync(ctx, name, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(value, type));

    /// <summary>A whole JSON response from a source-generated type.</summary>
    internal static Task WriteJsonAsync<T>(HttpContext ctx, T value, JsonTypeInfo<T> type) =>
        JsonOut.WriteAsync(ctx, 200, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(value, type));
}
