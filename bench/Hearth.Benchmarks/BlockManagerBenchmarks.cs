using BenchmarkDotNet.Attributes;
using Hearth.Engine;

namespace Hearth.Benchmarks;

/// <summary>BlockManager admit + commit + free of 64 sequences of 512 tokens (block 16): with prefix caching, each
/// admission hashes and looks up 32 blocks (the second half of the sequences hit the first half's prefixes).</summary>
[MemoryDiagnoser]
public class BlockManagerBenchmarks
{
    private Sequence[] _sequences = [];
    private BlockManager _blocks = null!;
    private readonly List<int> _hits = [];

    [Params(true, false)]
    public bool PrefixCaching { get; set; }

    [IterationSetup]
    public void Setup()
    {
        _blocks = new BlockManager(4096, 16, PrefixCaching);
        var rng = new Random(1);
        _sequences = Enumerable.Range(0, 64).Select(i =>
        {
            var prompt = Enumerable.Range(0, 512).Select(j => i >= 32 && j < 256 ? (i - 32) * 7 + j : rng.Next(32000)).ToArray();
            var request = new EngineRequest(i, new GenerationRequest("b", prompt, new SamplingParams()), 1,
                (r, k) => new Sequence(r, k, new Xoshiro256(1), new Detokenizer()));
            return request.Sequences[0];
        }).ToArray();
    }

    [Benchmark]
    public int AllocateCommitFree()
    {
        int hits = 0;
        foreach (var seq in _sequences)
        {
            hits += _blocks.FindCachedPrefix(seq, _hits);
            _blocks.TryAllocate(seq, _hits, seq.Tokens.Count - _hits.Count * 16);
            seq.NumComputed = seq.Tokens.Count;
            _blocks.Commit(seq);
        }
        foreach (var seq in _sequences) _blocks.Free(seq);
        return hits;
    }
}
