using System.Threading.Channels;
using Hearth.Engine;
using Hearth.Engine.Lora;

namespace Hearth.Server.Generation;

/// <summary>Submits one engine request per prompt (OpenAI completions accept an array of prompts) and reads them as
/// one stream of deltas: prompt p's choice i becomes choice p·n + i, as OpenAI numbers them.</summary>
public static class PromptBatch
{
    public static ChannelReader<GenerationDelta> Submit(IGenerationEngine engine, string requestId, DateTimeOffset arrival,
        IReadOnlyList<int[]> prompts, SamplingParams sampling, CancellationToken aborted, LoraSelection? lora = null)
    {
        if (prompts.Count == 1)
            return engine.Submit(new GenerationRequest(requestId, prompts[0], sampling) { ArrivalTime = arrival, Lora = lora }, aborted);

        // One token for all of them: a refused submission (busy, invalid) cancels the ones already queued.
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        var readers = new List<ChannelReader<GenerationDelta>>(prompts.Count);
        try
        {
            for (var p = 0; p < prompts.Count; p++)
                readers.Add(engine.Submit(new GenerationRequest($"{requestId}-{p}", prompts[p], sampling) { ArrivalTime = arrival, Lora = lora }, cancel.Token));
        }
        catch
        {
            cancel.Cancel();
            cancel.Dispose();
            throw;
        }
        var merged = Channel.CreateUnbounded<GenerationDelta>(new UnboundedChannelOptions { SingleReader = true });
        var pumps = readers.Select((reader, p) => Task.Run(async () =>
        {
            await foreach (var d in reader.ReadAllAsync(cancel.Token))
                await merged.Writer.WriteAsync(d with { Index = p * sampling.N + d.Index }, cancel.Token);
        })).ToArray();
        _ = Task.WhenAll(pumps).ContinueWith(t =>
        {
            merged.Writer.TryComplete(t.Exception?.GetBaseException() is { } e and not OperationCanceledException ? e : null);
            cancel.Dispose();
        }, TaskScheduler.Default);
        return merged.Reader;
    }
}
