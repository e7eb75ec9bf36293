using Hearth.Core.Tensors;

namespace Hearth.Cpu.Kernels;

/// <summary>Flash-decoding for the paged attention kernels: when a call has too few (token, KV head) chunks to keep
/// every thread busy (one long sequence decoding on a model with one to a few KV heads: Gemma 3 1B has one), each
/// token's visible positions are cut into parts that threads compute independently, each leaving an unnormalised
/// output with its own max and exp-sum; <see cref="Combine"/> then rescales the parts to a common max and normalises
/// (with the sink logit, if any, in the denominator). Calls with enough chunks, prompts and batched decode, are not
/// split, so their arithmetic is unchanged.</summary>
internal sealed unsafe class AttentionSplit : IDisposable
{
    /// <summary>A part covers at least this many positions, so its fixed cost (partials, combine) stays small.</summary>
    public const int MinPositions = 256;

    /// <summary>Work items wanted per thread before splitting stops (uneven parts balance out).</summary>
    private const int ItemsPerThread = 4;

    private readonly NativeBuffer _partials = new();
    private int[] _parts = [], _first = [];
    private int _rows, _kvHeads, _group, _hd;

    /// <summary>Whether the current plan splits at least one token.</summary>
    public bool Active { get; private set; }

    /// <summary>Work items of the current plan (rows × KV heads when not active).</summary>
    public int Items { get; private set; }

    /// <summary>Decides the parts of each token of a call.</summary>
    public void Plan(AttentionParameters a, int rows, int threads)
    {
        _rows = rows; _kvHeads = a.KvHeadCount; _group = a.HeadCount / a.KvHeadCount; _hd = a.HeadDim;
        int chunks = rows * a.KvHeadCount;
        Items = chunks;
        Active = false;
        int target = ItemsPerThread * threads;
        if (threads < 2 || chunks >= target) return;
        if (_parts.Length < rows) { _parts = new int[rows]; _first = new int[rows]; }
        int want = (target + chunks - 1) / chunks, items = 0;
        for (int t = 0; t < rows; t++)
        {
            int pos = a.Positions[t];
            int parts = Math.Clamp((pos + 1 - a.FirstVisible(pos)) / MinPositions, 1, want);
            _parts[t] = parts;
            _first[t] = items;
            items += parts * a.KvHeadCount;
            Active |= parts > 1;
        }
        if (!Active) return;
        Items = items;
        _partials.Ensure((long)items * PartialFloats * 4);
    }

    private long PartialFloats => (long)_group * (_hd + 2);

    /// <summary>The token, KV head and part of work item <paramref name="item"/> of an active plan.</summary>
    public void Locate(int item, out int token, out int kvHead, out int part, out int parts)
    {
        int t = 0;
        while (t + 1 < _rows && _first[t + 1] <= item) t++;
        int within = item - _first[t];
        token = t;
        parts = _parts[t];
        kvHead = within / parts;
        part = within % parts;
    }

    /// <summary>Positions [start, end) of part <paramref name="part"/> of <paramref name="parts"/> over [first, last].</summary>
    public static void Range(int first, int last, int part, int parts, out int start, out int end)
    {
        long n = last + 1 - first;
        start = first + (int)(n * part / parts);
        end = first + (int)(n * (part + 1) / parts);
    }

    /// <summary>Where item <paramref name="item"/> leaves its parts: group × hd unnormalised outputs, then group maxima,
    /// then group exp-sums.</summary>
    public float* Partial(int item) => (float*)_partials.Pointer + item * PartialFloats;

    /// <summary>Merges every split token's parts into its output rows.</summary>
    public void Combine(CpuIsa isa, AttentionParameters a, CpuTensor output)
    {
        float* sinks = a.Sinks is { } sinkWeight ? (float*)sinkWeight.Data : null;
        long outputs = (long)_group * _hd;
        for (int t = 0; t < _rows; t++)
        {
            int parts = _parts[t];
            if (parts == 1) continue;
            for (int kvh = 0; kvh < _kvHeads; kvh++)
            {
                float* first = Partial(_first[t] + kvh * parts);
                float* o = output.Row(t) + (long)kvh * outputs;
                for (int h = 0; h < _group; h++)
                {
                    float max = sinks != null ? sinks[kvh * _group + h] : float.NegativeInfinity;
                    for (int s = 0; s < parts; s++) max = MathF.Max(max, first[s * PartialFloats + outputs + h]);
                    double total = sinks != null ? Math.Exp(sinks[kvh * _group + h] - max) : 0;
                    for (int s = 0; s < parts; s++)
                    {
                        float* p = first + s * PartialFloats;
                        total += p[outputs + _group + h] * Math.Exp(p[outputs + h] - max);
                    }
                    float* oh = o + (long)h * _hd;
                    new Span<float>(oh, _hd).Clear();
                    for (int s = 0; s < parts; s++)
                    {
                        float* p = first + s * PartialFloats;
                        float weight = (float)(Math.Exp(p[outputs + h] - max) / total);
                        Axpy.Run(isa, weight, p + (long)h * _hd, oh, _hd);
                    }
                }
            }
        }
    }

    public void Dispose() => _partials.Dispose();
}
