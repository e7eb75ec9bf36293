namespace Hearth.Engine;

/// <summary>Fills the grammar mask of every constrained sequence that samples in a batch (each choice at a fork),
/// on the thread pool, so that the masks are ready when the forward pass returns. A mask failure becomes the
/// sequence's sampling error (the sampler sees an empty mask).</summary>
internal static class GrammarMasks
{
    public static Task? Start(ScheduledBatch batch)
    {
        List<Sequence>? constrained = null;
        foreach (var item in batch.Sequences)
        {
            if (!item.NeedsLogits) continue;
            var seq = item.Sequence;
            foreach (var choice in seq.Request.ForkPending ? seq.Request.Sequences : [seq])
                if (choice.Grammar is not null) (constrained ??= []).Add(choice);
        }
        if (constrained is null) return null;
        return Task.Run(() =>
        {
            foreach (var seq in constrained) Fill(seq);
        });
    }

    private static void Fill(Sequence seq)
    {
        try
        {
            seq.Grammar!.FillMask(seq.Mask);
        }
        catch (Structured.GrammarException)
        {
            Array.Clear(seq.Mask!); // the sampler reports "no token allowed" for this sequence only
        }
    }
}
