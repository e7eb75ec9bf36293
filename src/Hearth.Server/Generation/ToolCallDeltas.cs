using Hearth.Engine;
using Hearth.Engine.Structured.Tools;

namespace Hearth.Server.Generation;

/// <summary>Streams tool calls: each choice's text goes through a <see cref="ToolCallStream"/>: content passes, and a
/// call goes out as it forms (id and name, then argument fragments); at the choice's end the rest of the calls are sent
/// and the finish is "tool_calls" (or the engine's finish when it cut the answer short).</summary>
internal sealed class ToolCallDeltas(ToolCallFormat format, int choices, IToolCallWriter calls)
{
    private readonly ToolCallStream[] _streams = [.. Enumerable.Range(0, choices).Select(_ => new ToolCallStream(format))];

    /// <summary>Writes the delta (or what of it is content) and the call events it completes.</summary>
    public async Task HandleAsync(GenerationRun run, IResponseWriter writer, GenerationDelta d)
    {
        var stream = _streams[d.Index];
        var piece = stream.Push(d.Text);
        if (d.Finish is null)
        {
            if (piece.Content.Length > 0 || d.Logprobs is { Count: > 0 }) await writer.WriteDeltaAsync(run, d with { Text = piece.Content });
            await SendAsync(run, d.Index, piece.Calls);
            return;
        }
        var end = stream.Finish();
        string content = piece.Content + end.Content;
        if (end.Calls.Count == 0)
        {
            await writer.WriteDeltaAsync(run, d with { Text = content });
            return;
        }
        if (content.Length > 0 || d.Logprobs is { Count: > 0 }) await writer.WriteDeltaAsync(run, d with { Text = content, Finish = null });
        await SendAsync(run, d.Index, piece.Calls);
        await SendAsync(run, d.Index, end.Events);
        if (d.Finish == FinishReason.Stop) await calls.EndToolCallsAsync(run, d.Index, end.Calls);
        else await writer.WriteDeltaAsync(run, d with { Text = "", Logprobs = null }); // cut short: the calls as far as they went
    }

    private async Task SendAsync(GenerationRun run, int index, IReadOnlyList<ToolCallEvent> events)
    {
        foreach (var e in events)
        {
            if (e.Id is not null) await calls.StartToolCallAsync(run, index, e.Call, e.Id, e.Name!);
            else await calls.WriteToolArgumentsAsync(run, index, e.Call, e.Arguments);
        }
    }
}
