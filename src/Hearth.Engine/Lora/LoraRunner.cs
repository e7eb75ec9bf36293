using Hearth.Core.Tensors;
using Hearth.Engine.Models;

namespace Hearth.Engine.Lora;

/// <summary>Applies the adapters of a mixed batch (Punica / S-LoRA's idea on top of one shared base matmul): the base
/// matmul runs once over every token, then for each adapter in the batch the rows of its sequences are gathered, run
/// through A then B (two small matmuls), and added back to their own rows scaled by the sequence's scale · alpha/r.
/// Tokens without an adapter get nothing added, so one batch serves many adapters and the bare model together.
/// Allocates only when a larger batch or a new width arrives.</summary>
internal sealed class LoraRunner(IBackend backend) : IDisposable
{
    private sealed class Group
    {
        public LoraAdapter Adapter = null!;
        public int[] Rows = new int[16];
        public float[] Scales = new float[16];
        public int Count;
        public bool Identity; // rows are 0..Count-1 of the batch: no gather needed

        public void Add(int row, float scale)
        {
            if (Count == Rows.Length)
            {
                Array.Resize(ref Rows, Count * 2);
                Array.Resize(ref Scales, Count * 2);
            }
            Rows[Count] = row;
            Scales[Count++] = scale;
        }
    }

    private readonly List<Group> _groups = [];
    private readonly Stack<Group> _spare = [];
    private readonly Dictionary<int, Tensor> _in = [], _mid = [], _out = [];
    private float[] _factors = new float[16];

    /// <summary>Groups the batch's tokens by adapter; false when no token has one (the forward pass is the base alone).</summary>
    public bool Prepare(ForwardBatch batch)
    {
        foreach (var g in _groups)
        {
            g.Count = 0;
            g.Adapter = null!; // do not keep an unloaded adapter reachable
            _spare.Push(g);
        }
        _groups.Clear();
        foreach (var seq in batch.Sequences)
        {
            if (seq.Lora is not { } selection) continue;
            foreach (var use in selection.Uses)
            {
                if (use.Scale == 0) continue;
                var g = Find(use.Adapter);
                for (int j = seq.TokenStart; j < seq.TokenStart + seq.TokenCount; j++) g.Add(j, use.Scale);
            }
        }
        foreach (var g in _groups)
        {
            g.Identity = g.Count == batch.TokenCount;
            for (int i = 0; g.Identity && i < g.Count; i++) g.Identity = g.Rows[i] == i;
        }
        return _groups.Count > 0;
    }

    private Group Find(LoraAdapter adapter)
    {
        foreach (var g in _groups) if (ReferenceEquals(g.Adapter, adapter)) return g;
        var group = _spare.TryPop(out var reused) ? reused : new Group();
        group.Adapter = adapter;
        _groups.Add(group);
        return group;
    }

    /// <summary>y[rows of each adapter] += scale · factor · B·(A·x[those rows]) for the adapters that change
    /// <paramref name="target"/> of <paramref name="layer"/>; x and y are the base matmul's input and output.</summary>
    public void Apply(int layer, LoraTarget target, Tensor x, Tensor y)
    {
        foreach (var g in _groups)
        {
            if (g.Adapter.Get(layer, target) is not { } w) continue;
            int n = g.Count;
            var rows = g.Rows.AsSpan(0, n);
            Tensor input = x;
            if (!g.Identity)
            {
                input = Scratch(_in, x.Columns, n);
                backend.GatherRows(x, rows, input);
            }
            var mid = Scratch(_mid, w.A.Rows, n);
            backend.MatMul(input, w.A, mid, n);
            var delta = Scratch(_out, w.B.Rows, n);
            backend.MatMul(mid, w.B, delta, n);
            if (_factors.Length < n) _factors = new float[Math.Max(n, _factors.Length * 2)];
            for (int i = 0; i < n; i++) _factors[i] = g.Scales[i] * w.Factor;
            backend.AddScaledRows(delta, rows, _factors.AsSpan(0, n), y);
        }
    }

    private Tensor Scratch(Dictionary<int, Tensor> pool, int width, int rows)
    {
        if (pool.TryGetValue(width, out var t) && t.Rows >= rows) return t;
        int capacity = Math.Max(rows, (t?.Rows ?? 0) * 2);
        t?.Dispose();
        return pool[width] = backend.Allocate(capacity, width);
    }

    public void Dispose()
    {
        foreach (var pool in (Dictionary<int, Tensor>[])[_in, _mid, _out])
        {
            foreach (var t in pool.Values) t.Dispose();
            pool.Clear();
        }
    }
}
