using Hearth.Engine;
using Hearth.Engine.Structured.Tools;

namespace Hearth.Server.Generation;

/// <summary>Streams tool calls: each choice's text goes through a <see cref="ToolCallStream"/> (content passes,
/// a call is held), and at the choice's end its calls go out through the writer with finish "tool_calls".</summary>
internal sealed class ToolCallDeltas(ToolCallFormat format, int choices, IToolCallWriter calls)
{
    private readonly ToolCallStream[] _streams = [.. Enumerable.Range(0, choices).Select(_ => new ToolCallStream(format))];

    /// <summary>Writes the delta (or what of it is content); true when it handled the delta entirely.</summary>
    public async Task<bool> HandleAsync(GenerationRun run, IResponseWriter writer, GenerationDelta d)
    {
        var stream = _streams[d.Index];
        string content = stream.Push(d.Text);
        if (d.Finish is null)
        {
            if (content.Length > 0 || d.Logprobs is { Count: > 0 }) await writer.WriteDeltaAsync(run, d with { Text = content });
            return true;
        }
        var end = stream.Finish();
        content += end.Content;
        if (end.Calls.Count == 0 || d.Finish != FinishReason.Stop)
        {
            await writer.WriteDeltaAsync(run, d with { Text = content });
            return true;
        }
        if (content.Length > 0) await writer.WriteDeltaAsync(run, d with { Text = content, Finish = null });
        await calls.WriteToolCallsAsync(run, d.Index, end.Calls);
        return true;
    }
}
