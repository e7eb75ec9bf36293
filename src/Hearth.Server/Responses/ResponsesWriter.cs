using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Hearth.Engine;
using Hearth.Engine.Structured.Tools;
using Hearth.Server.Generation;
using Hearth.Server.Http;
using Hearth.Server.OpenAi;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.Responses;

/// <summary>Answers POST /v1/responses: a response object, or the typed event stream (response.created,
/// response.in_progress, then per output item response.output_item.added … response.output_item.done — a reasoning
/// item with response.reasoning_text.delta/done, a message with response.content_part.added,
/// response.output_text.delta…, response.output_text.done, response.content_part.done, a function_call with
/// response.function_call_arguments.delta/done — then response.completed or response.incomplete; `error` on a
/// failure). With store, the finished response is kept for GET and previous_response_id.</summary>
public sealed class ResponsesWriter(HttpContext ctx, ResponsesRequest request, ResponseStore store) : IResponseWriter, IReasoningWriter, IToolCallWriter
{
    private static ResponsesJsonContext Json => ResponsesJsonContext.Api;
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly string _id = "resp_" + RequestRecord.Of(ctx).Id;
    private readonly string _itemId = "msg_" + RequestRecord.Of(ctx).Id;
    private readonly string _reasoningId = "rs_" + RequestRecord.Of(ctx).Id;
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    private readonly StringBuilder _text = new(), _reasoning = new();
    private readonly List<JsonObject> _items = []; // finished output items, in order
    private IReadOnlyList<ToolCall> _calls = [];
    private FinishReason? _finish;
    private int _sequence;
    private string? _open; // "reasoning", "message" or "function_call": the item being streamed
    private (string Id, string Name) _call; // the function_call item being streamed
    private readonly StringBuilder _callArguments = new();

    private ResponseObject Response(GenerationRun run, string status, IReadOnlyList<JsonObject> output, bool finished)
    {
        var usage = finished
            ? new ResponseUsage(run.PromptTokens, new InputTokensDetails(run.CachedPromptTokens), run.CompletionTokens, new OutputTokensDetails(0), run.PromptTokens + run.CompletionTokens)
            : null;
        return new ResponseObject(_id, _created, status, null, status == "incomplete" ? new IncompleteDetails("max_output_tokens") : null,
            request.Instructions, request.MaxOutputTokens, run.Model.Name, output, request.PreviousResponseId, request.Store,
            run.Sampling.Temperature, run.Sampling.TopP, new TextSettings(new TextFormat("text")), usage, request.Metadata);
    }

    private static string FinalStatus(FinishReason? finish) => finish == FinishReason.Length ? "incomplete" : "completed";

    private JsonObject MessageItem(string status, string text) => OutputItems.Message(new OutputMessage(_itemId, status, [new OutputText(text)]));

    private static string CallItemId(ToolCall call) => CallItemId(call.Id);

    private static string CallItemId(string callId) => "fc_" + callId;

    /// <summary>Keeps a finished response when the request asked to store it: the conversation goes on with this
    /// answer (its text and calls) as the assistant turn.</summary>
    private byte[] Finish(ResponseObject response, string text, IReadOnlyList<ToolCall> calls)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(response, Json.ResponseObject);
        if (request.Store)
        {
            var extra = new JsonObject();
            if (calls.Count > 0)
                extra["tool_calls"] = new JsonArray([.. calls.Select(c => (JsonNode)new JsonObject
                {
                    ["id"] = c.Id, ["type"] = "function", ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = c.Arguments },
                })]);
            store.Add(new StoredResponse(_id, RequestRecord.Of(ctx).Caller, json, [.. request.Conversation, new ChatMessage("assistant", text, extra)]));
        }
        return json;
    }

    public async Task WriteCompleteAsync(GenerationRun run, IReadOnlyList<CollectedChoice> choices)
    {
        var c = choices[0];
        var text = c.Text.ToString();
        var status = FinalStatus(c.Reason);
        var output = new List<JsonObject>();
        if (!string.IsNullOrEmpty(c.Reasoning)) output.Add(OutputItems.Reasoning(_reasoningId, c.Reasoning));
        if (text.Length > 0 || c.ToolCalls.Count == 0) output.Add(MessageItem(status, text));
        foreach (var call in c.ToolCalls) output.Add(OutputItems.FunctionCall(CallItemId(call), call.Id, call.Name, call.Arguments, "completed"));
        await JsonOut.WriteAsync(ctx, 200, Finish(Response(run, status, output, finished: true), text, c.ToolCalls));
    }

    public async Task StartStreamAsync(GenerationRun run)
    {
        await Sse.StartAsync(ctx);
        var response = Response(run, "in_progress", [], finished: false);
        await Event("response.created", new ResponseLifecycleEvent("response.created", _sequence, response), Json.ResponseLifecycleEvent);
        await Event("response.in_progress", new ResponseLifecycleEvent("response.in_progress", _sequence, response), Json.ResponseLifecycleEvent);
        // The message item opens at once, unless the answer may start with shown thinking (then items open as they come).
        if (run.Reasoning is not { Show: true }) await OpenAsync("message");
    }

    public async Task WriteDeltaAsync(GenerationRun run, GenerationDelta d)
    {
        if (d.Text.Length > 0)
        {
            await OpenAsync("message");
            _text.Append(d.Text);
            await Event("response.output_text.delta", new TextDeltaEvent("response.output_text.delta", _sequence, _itemId, _items.Count, 0, d.Text), Json.TextDeltaEvent);
        }
        if (d.Finish is { } f) _finish = f;
    }

    public async Task WriteReasoningAsync(GenerationRun run, int index, string text)
    {
        await OpenAsync("reasoning");
        _reasoning.Append(text);
        await NodeEvent("response.reasoning_text.delta", new JsonObject { ["item_id"] = _reasoningId, ["output_index"] = _items.Count, ["content_index"] = 0, ["delta"] = text });
    }

    /// <summary>A call is a function_call output item: added (in progress) when it starts, its arguments as
    /// function_call_arguments.delta events, then arguments.done and the completed item when the next item starts or
    /// the stream ends.</summary>
    public async Task StartToolCallAsync(GenerationRun run, int index, int call, string id, string name)
    {
        await CloseAsync();
        _open = "function_call";
        _call = (id, name);
        _callArguments.Clear();
        await Event("response.output_item.added", new OutputItemEvent("response.output_item.added", _sequence, _items.Count,
            OutputItems.FunctionCall(CallItemId(id), id, name, "", "in_progress")), Json.OutputItemEvent);
    }

    public async Task WriteToolArgumentsAsync(GenerationRun run, int index, int call, string fragment)
    {
        if (_open != "function_call") return;
        _callArguments.Append(fragment);
        await NodeEvent("response.function_call_arguments.delta", new JsonObject { ["item_id"] = CallItemId(_call.Id), ["output_index"] = _items.Count, ["delta"] = fragment });
    }

    public async Task EndToolCallsAsync(GenerationRun run, int index, IReadOnlyList<ToolCall> calls)
    {
        _finish = FinishReason.Stop;
        _calls = calls;
        await CloseAsync();
    }

    public async Task EndStreamAsync(GenerationRun run)
    {
        if (_items.Count == 0 && _open is null) await OpenAsync("message"); // an empty answer is one empty message
        await CloseAsync();
        var status = FinalStatus(_finish);
        var response = Response(run, status, _items, finished: true);
        Finish(response, _text.ToString(), _calls);
        var name = "response." + status;
        await Event(name, new ResponseLifecycleEvent(name, _sequence, response), Json.ResponseLifecycleEvent);
    }

    public Task WriteStreamErrorAsync(string message) =>
        Event("error", new StreamErrorEvent("error", _sequence, "server_error", message, null), Json.StreamErrorEvent);

    /// <summary>Makes an item of this kind the open one (finishing another first).</summary>
    private async Task OpenAsync(string kind)
    {
        if (_open == kind) return;
        await CloseAsync();
        _open = kind;
        int at = _items.Count;
        if (kind == "reasoning")
        {
            await Event("response.output_item.added", new OutputItemEvent("response.output_item.added", _sequence, at, OutputItems.Reasoning(_reasoningId, "")), Json.OutputItemEvent);
            return;
        }
        await Event("response.output_item.added", new OutputItemEvent("response.output_item.added", _sequence, at, OutputItems.Message(new OutputMessage(_itemId, "in_progress", []))), Json.OutputItemEvent);
        await Event("response.content_part.added", new ContentPartEvent("response.content_part.added", _sequence, _itemId, at, 0, new OutputText("")), Json.ContentPartEvent);
    }

    private async Task CloseAsync()
    {
        if (_open is not { } kind) return;
        _open = null;
        int at = _items.Count;
        if (kind == "function_call")
        {
            string id = CallItemId(_call.Id), arguments = _callArguments.ToString();
            await NodeEvent("response.function_call_arguments.done", new JsonObject { ["item_id"] = id, ["output_index"] = at, ["arguments"] = arguments });
            var done = OutputItems.FunctionCall(id, _call.Id, _call.Name, arguments, _finish == FinishReason.Length ? "incomplete" : "completed");
            _items.Add(done);
            await Event("response.output_item.done", new OutputItemEvent("response.output_item.done", _sequence, at, done), Json.OutputItemEvent);
            return;
        }
        if (kind == "reasoning")
        {
            string thinking = _reasoning.ToString();
            await NodeEvent("response.reasoning_text.done", new JsonObject { ["item_id"] = _reasoningId, ["output_index"] = at, ["content_index"] = 0, ["text"] = thinking });
            var item = OutputItems.Reasoning(_reasoningId, thinking);
            _items.Add(item);
            await Event("response.output_item.done", new OutputItemEvent("response.output_item.done", _sequence, at, item), Json.OutputItemEvent);
            return;
        }
        var text = _text.ToString();
        var status = FinalStatus(_finish);
        var part = new OutputText(text);
        await Event("response.output_text.done", new TextDoneEvent("response.output_text.done", _sequence, _itemId, at, 0, text), Json.TextDoneEvent);
        await Event("response.content_part.done", new ContentPartEvent("response.content_part.done", _sequence, _itemId, at, 0, part), Json.ContentPartEvent);
        var message = MessageItem(status, text);
        _items.Add(message);
        await Event("response.output_item.done", new OutputItemEvent("response.output_item.done", _sequence, at, message), Json.OutputItemEvent);
    }

    private Task Event<T>(string name, T value, JsonTypeInfo<T> type)
    {
        _sequence++;
        return Sse.WriteEventAsync(ctx, name, JsonSerializer.SerializeToUtf8Bytes(value, type));
    }

    /// <summary>An event without a record of its own: type and sequence_number first, then the fields.</summary>
    private Task NodeEvent(string name, JsonObject fields)
    {
        var e = new JsonObject { ["type"] = name, ["sequence_number"] = _sequence };
        foreach (var (k, v) in fields.ToList())
        {
            fields.Remove(k);
            e[k] = v;
        }
        _sequence++;
        return Sse.WriteEventAsync(ctx, name, Encoding.UTF8.GetBytes(e.ToJsonString(Relaxed)));
    }
}
