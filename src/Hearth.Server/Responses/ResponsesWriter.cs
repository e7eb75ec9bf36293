using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Hearth.Engine;
using Hearth.Server.Generation;
using Hearth.Server.Http;
using Hearth.Server.OpenAi;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.Responses;

/// <summary>Answers POST /v1/responses: a response object, or the typed event stream (response.created,
/// response.in_progress, response.output_item.added, response.content_part.added, response.output_text.delta…,
/// response.output_text.done, response.content_part.done, response.output_item.done, then response.completed or
/// response.incomplete; `error` on a failure). With store, the finished response is kept for GET and
/// previous_response_id.</summary>
public sealed class ResponsesWriter(HttpContext ctx, ResponsesRequest request, ResponseStore store) : IResponseWriter
{
    private static ResponsesJsonContext Json => ResponsesJsonContext.Api;
    private readonly string _id = "resp_" + RequestRecord.Of(ctx).Id;
    private readonly string _itemId = "msg_" + RequestRecord.Of(ctx).Id;
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    private readonly StringBuilder _text = new();
    private FinishReason? _finish;
    private int _sequence;

    private ResponseObject Response(GenerationRun run, string status, string text, bool finished)
    {
        var itemStatus = status == "in_progress" ? "in_progress" : status;
        OutputMessage[] output = status == "in_progress" && !finished ? [] : [new OutputMessage(_itemId, itemStatus, [new OutputText(text)])];
        var usage = finished
            ? new ResponseUsage(run.PromptTokens, new InputTokensDetails(run.CachedPromptTokens), run.CompletionTokens, new OutputTokensDetails(0), run.PromptTokens + run.CompletionTokens)
            : null;
        return new ResponseObject(_id, _created, status, null, status == "incomplete" ? new IncompleteDetails("max_output_tokens") : null,
            request.Instructions, request.MaxOutputTokens, run.Model.Name, output, request.PreviousResponseId, request.Store,
            run.Sampling.Temperature, run.Sampling.TopP, new TextSettings(new TextFormat("text")), usage, request.Metadata);
    }

    private static string FinalStatus(FinishReason? finish) => finish == FinishReason.Length ? "incomplete" : "completed";

    /// <summary>Keeps a finished response when the request asked to store it.</summary>
    private byte[] Finish(ResponseObject response, string text)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(response, Json.ResponseObject);
        if (request.Store)
            store.Add(new StoredResponse(_id, RequestRecord.Of(ctx).Caller, json,
                [.. request.Conversation, new ChatMessage("assistant", text, new JsonObject())]));
        return json;
    }

    public async Task WriteCompleteAsync(GenerationRun run, IReadOnlyList<CollectedChoice> choices)
    {
        var text = choices[0].Text.ToString();
        var json = Finish(Response(run, FinalStatus(choices[0].Reason), text, finished: true), text);
        await JsonOut.WriteAsync(ctx, 200, json);
    }

    public async Task StartStreamAsync(GenerationRun run)
    {
        await Sse.StartAsync(ctx);
        var response = Response(run, "in_progress", "", finished: false);
        await Event("response.created", new ResponseLifecycleEvent("response.created", _sequence, response), Json.ResponseLifecycleEvent);
        await Event("response.in_progress", new ResponseLifecycleEvent("response.in_progress", _sequence, response), Json.ResponseLifecycleEvent);
        await Event("response.output_item.added", new OutputItemEvent("response.output_item.added", _sequence, 0, new OutputMessage(_itemId, "in_progress", [])), Json.OutputItemEvent);
        await Event("response.content_part.added", new ContentPartEvent("response.content_part.added", _sequence, _itemId, 0, 0, new OutputText("")), Json.ContentPartEvent);
    }

    public async Task WriteDeltaAsync(GenerationRun run, GenerationDelta d)
    {
        if (d.Text.Length > 0)
        {
            _text.Append(d.Text);
            await Event("response.output_text.delta", new TextDeltaEvent("response.output_text.delta", _sequence, _itemId, 0, 0, d.Text), Json.TextDeltaEvent);
        }
        if (d.Finish is { } f) _finish = f;
    }

    public async Task EndStreamAsync(GenerationRun run)
    {
        var text = _text.ToString();
        var status = FinalStatus(_finish);
        var part = new OutputText(text);
        await Event("response.output_text.done", new TextDoneEvent("response.output_text.done", _sequence, _itemId, 0, 0, text), Json.TextDoneEvent);
        await Event("response.content_part.done", new ContentPartEvent("response.content_part.done", _sequence, _itemId, 0, 0, part), Json.ContentPartEvent);
        await Event("response.output_item.done", new OutputItemEvent("response.output_item.done", _sequence, 0, new OutputMessage(_itemId, status, [part])), Json.OutputItemEvent);
        var response = Response(run, status, text, finished: true);
        Finish(response, text);
        var name = "response." + status;
        await Event(name, new ResponseLifecycleEvent(name, _sequence, response), Json.ResponseLifecycleEvent);
    }

    public Task WriteStreamErrorAsync(string message) =>
        Event("error", new StreamErrorEvent("error", _sequence, "server_error", message, null), Json.StreamErrorEvent);

    private Task Event<T>(string name, T value, JsonTypeInfo<T> type)
    {
        _sequence++;
        return Sse.WriteEventAsync(ctx, name, JsonSerializer.SerializeToUtf8Bytes(value, type));
    }
}
