using System.Globalization;
using Hearth.Core.Tokenizers;

namespace Hearth.Engine;

/// <summary>Turns one newly sampled token of a sequence into a <see cref="GenerationDelta"/>: incremental text,
/// stop checks (end-of-generation token, stop token ids, stop strings — none of them before min_tokens), length
/// limits, and usage counts on the final delta. Sets the sequence's finish reason when it ends. A constrained sequence
/// feeds the token to its grammar, and stops when the grammar is complete and cannot grow (max_tokens cutting it
/// short is reported as Length, like any other cut).</summary>
internal sealed class OutputProcessor(ITokenizer tokenizer, bool[] endOfGeneration, int maxModelLength)
{
    private static readonly IReadOnlyList<string> NoStops = [];

    public GenerationDelta Process(Sequence seq, SampledToken sample)
    {
        var p = seq.Request.Sampling;
        int token = sample.TokenId;
        bool canStop = seq.OutputLength >= p.MinTokens;
        string text = "";
        bool stoppedOnString = false;
        var grammar = seq.Grammar;
        if (grammar is not null && !grammar.TryAccept(token))
            throw new InvalidOperationException($"token {token} is not allowed by the output grammar");
        if (grammar is not null && IsEnd(token))
        {
            seq.Finish = FinishReason.Stop; // the mask allowed the end: the output is complete
        }
        else if (canStop && !p.IgnoreEos && IsEnd(token))
        {
            seq.Finish = FinishReason.Stop;
        }
        else if (canStop && p.StopTokenIds.Contains(token))
        {
            seq.Finish = FinishReason.Stop;
            seq.StopReason = token.ToString(CultureInfo.InvariantCulture);
        }
        else
        {
            text = seq.Detokenizer.Push(TokenBytes(token), canStop ? p.Stop : NoStops, out string? stop);
            if (stop is not null)
            {
                seq.Finish = FinishReason.Stop;
                seq.StopReason = stop;
                stoppedOnString = true;
            }
        }
        // A complete sentence that nothing can extend ends here, without waiting for an end token.
        if (seq.Finish is null && grammar is { IsTerminated: true }) seq.Finish = FinishReason.Stop;
        if (seq.Finish is null && (seq.OutputLength >= seq.Request.MaxTokens || seq.Tokens.Count >= maxModelLength))
            seq.Finish = FinishReason.Length;
        // A stop string discards what follows it; any other end releases the text still held back.
        if (seq.Finish is not null && !stoppedOnString) text += seq.Detokenizer.Flush();

        var delta = new GenerationDelta
        {
            Index = seq.Index,
            TokenIds = [token],
            Text = text,
            Logprobs = sample.Logprob is { } lp ? [lp] : null,
            QueueTime = seq.OutputLength == 1 ? QueueTime(seq.Request) : null,
        };
        return seq.Finish is null ? delta : WithUsage(delta with { Finish = seq.Finish, StopReason = seq.StopReason }, seq);
    }

    /// <summary>The final delta of a choice ended from outside (cancelled, failed).</summary>
    public GenerationDelta Final(Sequence seq, FinishReason reason, string? error) =>
        WithUsage(new GenerationDelta { Index = seq.Index, Finish = reason, Error = error }, seq);

    private static GenerationDelta WithUsage(GenerationDelta delta, Sequence seq) => delta with
    {
        PromptTokens = seq.PromptLength,
        CachedPromptTokens = seq.Request.CachedPromptTokens,
        CompletionTokens = seq.OutputLength,
    };

    private static TimeSpan? QueueTime(EngineRequest request) =>
        request.AdmittedAt is { } admitted ? admitted - request.Request.ArrivalTime : null;

    private bool IsEnd(int token) => (uint)token < (uint)endOfGeneration.Length && endOfGeneration[token];

    private byte[] TokenBytes(int token) =>
        (uint)token < (uint)tokenizer.VocabSize ? tokenizer.TokenBytes(token) : [];
}
