using System.Text;
using Hearth.Engine;
using Hearth.Server.Http;

namespace Hearth.Server.Generation;

/// <summary>One choice of a non-streaming response, read to its end.</summary>
public sealed class CollectedChoice
{
    public StringBuilder Text { get; } = new();
    /// <summary>The thinking split out of the answer (a thinking model, shown), else null.</summary>
    public string? Reasoning { get; set; }
    public List<TokenLogprob> Logprobs { get; } = [];
    /// <summary>The generated token ids (Ollama's `context` carries them back).</summary>
    public List<int> TokenIds { get; } = [];
    /// <summary>The API's finish-reason name ("stop", "length", …), or null when the choice never finished.</summary>
    public string? Finish { get; set; }
    /// <summary>Why the choice ended, or null when it never finished.</summary>
    public FinishReason? Reason { get; set; }
    /// <summary>The stop string that ended it, when one did (Anthropic's stop_sequence).</summary>
    public string? StopSequence { get; set; }
    /// <summary>Tool calls parsed out of the answer (then <see cref="Text"/> holds only the content around them).</summary>
    public IReadOnlyList<Hearth.Engine.Structured.Tools.ToolCall> ToolCalls { get; set; } = [];

    /// <summary>Reads a whole run into its choices; an engine error becomes HTTP 500.</summary>
    public static async Task<CollectedChoice[]> CollectAsync(GenerationRun run)
    {
        var choices = Enumerable.Range(0, run.N).Select(_ => new CollectedChoice()).ToArray();
        await foreach (var d in run.ReadAsync())
        {
            var choice = choices[d.Index];
            choice.Text.Append(d.Text);
            choice.TokenIds.AddRange(d.TokenIds);
            if (d.Logprobs is not null) choice.Logprobs.AddRange(d.Logprobs);
            if (d.Finish is FinishReason.Error) throw new ApiException(500, "generation failed: " + (d.Error ?? "engine error"));
            if (d.Finish is { } f)
            {
                choice.Finish = GenerationRun.ReasonName(f);
                choice.Reason = f;
                choice.StopSequence = d.StopReason;
            }
        }
        return choices;
    }
}
