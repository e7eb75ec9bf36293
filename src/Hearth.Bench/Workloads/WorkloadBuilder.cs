namespace Hearth.Bench.Workloads;

/// <summary>Builds the prompts of one level, deterministically from a seed. Each level gets its own seed so
/// that a server's prefix cache cannot serve one level's prompts from an earlier level (only the deliberate
/// shared prefix repeats).</summary>
public sealed class WorkloadBuilder
{
    private readonly WorkloadSpec _spec;
    private readonly PromptFactory _prompts;
    private readonly IReadOnlyList<(string Prompt, string Reply)>? _shareGpt;
    private readonly string _prefix = "";
    private readonly int _prefixTokens;

    public WorkloadBuilder(WorkloadSpec spec, PromptFactory prompts, int seed)
    {
        _spec = spec;
        _prompts = prompts;
        if (spec.ShareGptPath is { } path) _shareGpt = ShareGptReader.Read(path);
        if (spec.PrefixLen > 0) (_prefix, _prefixTokens) = prompts.Make(spec.PrefixLen, new Random(seed ^ 0x5eed));
    }

    /// <summary>How lengths were measured, for the report.</summary>
    public string Note
    {
        get
        {
            var how = _prompts.Exact
                ? "prompt lengths are exact in the given tokenizer's tokens (without chat template)"
                : "no --tokenizer: prompt lengths are approximate (random common words, about one token each; the server's usage.prompt_tokens is reported when it sends usage)";
            var what = _shareGpt is not null
                ? $"ShareGPT dataset ({_shareGpt.Count} usable conversations)"
                : $"random prompts of {_spec.InputLen} tokens" + (_spec.RangeRatio > 0 ? $" ±{_spec.RangeRatio:P0}" : "")
                  + (_spec.PrefixLen > 0 ? $" after a shared {_prefixTokens}-token prefix" : "");
            return $"{what}; {how}";
        }
    }

    public Workload Build(int count, int seed)
    {
        var rng = new Random(seed);
        var list = new List<BenchRequest>(count);
        if (_shareGpt is not null)
        {
            // A seeded shuffle of the conversations, cycled when more requests than conversations are needed.
            var order = Enumerable.Range(0, _shareGpt.Count).ToArray();
            rng.Shuffle(order);
            for (int i = 0; i < count; i++)
            {
                var (prompt, reply) = _shareGpt[order[i % order.Length]];
                int outLen = _spec.OutputLenOverride ?? Math.Max(1, _prompts.Count(reply));
                list.Add(new BenchRequest(prompt, _prompts.Count(prompt), outLen));
            }
            return new Workload(list, Note);
        }
        for (int i = 0; i < count; i++)
        {
            int inLen = Sample(_spec.InputLen, rng);
            int outLen = Sample(_spec.OutputLen, rng);
            var (text, tokens) = _prompts.Make(inLen, rng);
            if (_prefixTokens > 0)
            {
                text = _prefix + " " + text;
                tokens = _prompts.Exact ? _prompts.Count(text) : _prefixTokens + tokens;
            }
            list.Add(new BenchRequest(text, tokens, outLen));
        }
        return new Workload(list, Note);
    }

    /// <summary>Uniform in [len·(1−r), len·(1+r)], at least 1; exactly len when r = 0.</summary>
    private int Sample(int len, Random rng)
    {
        if (_spec.RangeRatio <= 0) return len;
        int lo = Math.Max(1, (int)Math.Floor(len * (1 - _spec.RangeRatio)));
        int hi = Math.Max(lo, (int)Math.Ceiling(len * (1 + _spec.RangeRatio)));
        return rng.Next(lo, hi + 1);
    }
}
