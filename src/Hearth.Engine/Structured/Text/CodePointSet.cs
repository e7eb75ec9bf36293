namespace Hearth.Engine.Structured.Text;

/// <summary>A set of Unicode scalar values as sorted, disjoint, inclusive ranges; turned into a byte-level grammar
/// node (UTF-8 sequences) by <see cref="Utf8Ranges"/>.</summary>
internal sealed class CodePointSet
{
    public const int MaxCodePoint = 0x10FFFF;
    private readonly List<(int Lo, int Hi)> _ranges = [];

    public IReadOnlyList<(int Lo, int Hi)> Ranges => _ranges;

    public static CodePointSet Of(params (int Lo, int Hi)[] ranges)
    {
        var s = new CodePointSet();
        foreach (var (lo, hi) in ranges) s.Add(lo, hi);
        return s;
    }

    public static CodePointSet Digits => Of(('0', '9'));
    public static CodePointSet Word => Of(('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z'));
    public static CodePointSet Space => Of(('\t', '\r'), (' ', ' '));

    public void Add(int lo, int hi)
    {
        if (lo > hi) throw new GrammarException($"a character range {lo:X}-{hi:X} is reversed");
        _ranges.Add((lo, hi));
        Normalize();
    }

    public void AddAll(CodePointSet other)
    {
        _ranges.AddRange(other._ranges);
        Normalize();
    }

    public bool Contains(int c)
    {
        foreach (var (lo, hi) in _ranges)
            if (c >= lo && c <= hi) return true;
        return false;
    }

    /// <summary>Everything up to <paramref name="max"/> not in this set (surrogates are dropped later).</summary>
    public CodePointSet Complement(int max = MaxCodePoint)
    {
        var r = new CodePointSet();
        int next = 0;
        foreach (var (lo, hi) in _ranges)
        {
            if (lo > next) r._ranges.Add((next, Math.Min(lo - 1, max)));
            next = Math.Max(next, hi + 1);
            if (next > max) break;
        }
        if (next <= max) r._ranges.Add((next, max));
        r._ranges.RemoveAll(x => x.Lo > x.Hi);
        return r;
    }

    public CodePointSet Without(CodePointSet other)
    {
        var keep = other.Complement();
        var r = new CodePointSet();
        foreach (var (lo, hi) in _ranges)
            foreach (var (klo, khi) in keep._ranges)
            {
                int a = Math.Max(lo, klo), b = Math.Min(hi, khi);
                if (a <= b) r._ranges.Add((a, b));
            }
        r.Normalize();
        return r;
    }

    private void Normalize()
    {
        _ranges.Sort();
        for (int i = 1; i < _ranges.Count; i++)
        {
            if (_ranges[i].Lo <= _ranges[i - 1].Hi + 1)
            {
                _ranges[i - 1] = (_ranges[i - 1].Lo, Math.Max(_ranges[i - 1].Hi, _ranges[i].Hi));
                _ranges.RemoveAt(i--);
            }
        }
    }
}
