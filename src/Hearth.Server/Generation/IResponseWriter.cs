using Hearth.Engine;

namespace Hearth.Server.Generation;

/// <summary>A protocol's way of answering one generation request: a whole JSON body, or a stream (SSE, NDJSON,
/// Anthropic or Responses events). One instance per request; it may keep state between calls (ids, offsets,
/// generated tokens). <see cref="GenerationPipeline"/> calls, for a non-streaming request, only
/// <see cref="WriteCompleteAsync"/>; for a streaming one <see cref="StartStreamAsync"/>, then
/// <see cref="WriteDeltaAsync"/> per delta, then <see cref="EndStreamAsync"/> or, on a failure after the stream
/// started, <see cref="WriteStreamErrorAsync"/>.</summary>
public interface IResponseWriter
{
    /// <summary>Writes the whole answer once every choice has finished.</summary>
    Task WriteCompleteAsync(GenerationRun run, IReadOnlyList<CollectedChoice> choices);

    /// <summary>Sends the headers (status 200) and whatever the protocol sends before the first token.</summary>
    Task StartStreamAsync(GenerationRun run);

    /// <summary>One delta of one choice (text, logprobs, and its finish when it carries one; never an error).</summary>
    Task WriteDeltaAsync(GenerationRun run, GenerationDelta delta);

    /// <summary>Closes a stream whose choices all ended (usage, terminators).</summary>
    Task EndStreamAsync(GenerationRun run);

    /// <summary>Reports a failure inside a started stream (its status is already 200) and closes it.</summary>
    Task WriteStreamErrorAsync(string message);
}
