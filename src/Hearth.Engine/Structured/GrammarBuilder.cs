namespace Hearth.Engine.Structured;

/// <summary>Collects named rules (bodies are <see cref="GrammarNode"/> trees) and flattens them into a
/// <see cref="Grammar"/>: nested choices and repetitions become anonymous rules (repetition is right-recursive, so
/// matching never grows the stack), byte sets are interned, and left recursion is refused because a top-down
/// matcher would loop on it.</summary>
public sealed class GrammarBuilder
{
    /// <summary>More elements than this is a grammar too large to serve (e.g. huge bounded repetitions).</summary>
    public const int MaxElements = 2_000_000;

    private readonly List<string> _names = [];
    private readonly List<GrammarNode?> _bodies = [];
    private readonly Dictionary<string, int> _byName = [];

    /// <summary>Declares a rule (or returns the one already declared under this name).</summary>
    public int Rule(string name)
    {
        if (_byName.TryGetValue(name, out int r)) return r;
        _names.Add(name);
        _bodies.Add(null);
        return _byName[name] = _names.Count - 1;
    }

    public bool IsDefined(int rule) => _bodies[rule] is not null;

    public void Define(int rule, GrammarNode body) => _bodies[rule] = body;

    /// <summary>Declares and defines a fresh rule; returns a reference to it.</summary>
    public GrammarNode Add(string name, GrammarNode body)
    {
        string unique = name;
        for (int i = 2; _byName.ContainsKey(unique); i++) unique = name + "-" + i;
        int r = Rule(unique);
        Define(r, body);
        return new GrammarNode.Ref(r);
    }

    public Grammar Build(int startRule)
    {
        for (int r = 0; r < _bodies.Count; r++)
            if (_bodies[r] is null) throw new GrammarException($"the grammar references rule '{_names[r]}' but does not define it");
        var flat = new Flattener(_names, _bodies!);
        var grammar = flat.Run(startRule);
        LeftRecursionCheck.Run(grammar);
        return grammar;
    }

    private sealed class Flattener(List<string> names, List<GrammarNode?> bodies)
    {
        private readonly List<ElementKind> _kinds = [];
        private readonly List<int> _args = [];
        private readonly List<ByteSet> _sets = [];
        private readonly Dictionary<ByteSet, int> _setIndex = [];
        private readonly List<List<int>> _ruleAlts = []; // per rule: element starts of its alternatives
        private readonly List<string> _ruleNames = [.. names];
        private readonly List<GrammarNode> _pending = [.. bodies.Select(b => b!)];

        public Grammar Run(int start)
        {
            // Element 0: the entry, Ref(start) End.
            Emit(ElementKind.Ref, start);
            Emit(ElementKind.End, 0);
            for (int r = 0; r < _pending.Count; r++) _ruleAlts.Add(null!);
            for (int r = 0; r < _pending.Count; r++) FlattenRule(r); // _pending grows with anonymous rules

            var altStarts = new List<int>();
            var ruleFirstAlt = new int[_ruleAlts.Count + 1];
            for (int r = 0; r < _ruleAlts.Count; r++)
            {
                ruleFirstAlt[r] = altStarts.Count;
                altStarts.AddRange(_ruleAlts[r]);
            }
            ruleFirstAlt[^1] = altStarts.Count;
            return new Grammar([.. _kinds], [.. _args], [.. _sets], [.. altStarts], ruleFirstAlt, [.. _ruleNames]);
        }

        private void FlattenRule(int r)
        {
            var body = _pending[r];
            var options = body is GrammarNode.Alt alt ? alt.Options : [body];
            var starts = new List<int>(options.Count);
            foreach (var option in options)
            {
                starts.Add(_kinds.Count);
                EmitSequence(option);
                Emit(ElementKind.End, 0);
            }
            _ruleAlts[r] = starts;
        }

        private void EmitSequence(GrammarNode node)
        {
            switch (node)
            {
                case GrammarNode.Bytes b:
                    Emit(ElementKind.Bytes, SetIndex(b.Allowed));
                    break;
                case GrammarNode.Ref re:
                    Emit(ElementKind.Ref, re.Rule);
                    break;
                case GrammarNode.AnyChar c:
                    Emit(ElementKind.Utf8, SetIndex(c.Ascii & ByteSet.Range(0, 0x7F), allowEmpty: true));
                    break;
                case GrammarNode.Seq s:
                    foreach (var item in s.Items) EmitSequence(item);
                    break;
                case GrammarNode.Alt a:
                    Emit(ElementKind.Ref, Anonymous("alt", a));
                    break;
                case GrammarNode.Repeat rep:
                    EmitRepeat(rep);
                    break;
            }
        }

        private void EmitRepeat(GrammarNode.Repeat rep)
        {
            if (rep.Max is int max && (max < rep.Min || max < 0)) throw new GrammarException($"a repetition {{{rep.Min},{max}}} has max < min");
            // A repeated item that is more than one element is referenced through its own rule, emitted once.
            var item = rep.Item is GrammarNode.Bytes or GrammarNode.Ref or GrammarNode.AnyChar ? rep.Item : new GrammarNode.Ref(Anonymous("item", rep.Item));
            for (int i = 0; i < rep.Min; i++) EmitSequence(item);
            if (rep.Max is null)
            {
                // star ::= item star | ε
                int star = NewRule("star");
                _pending[star] = new GrammarNode.Alt([new GrammarNode.Seq([item, new GrammarNode.Ref(star)]), GrammarNode.Empty]);
                Emit(ElementKind.Ref, star);
            }
            else if (rep.Max > rep.Min)
            {
                // opt_k ::= item opt_(k-1) | ε ... nested so "a{0,3}" is a(a(a)?)?)? — one parse per string.
                int inner = -1;
                for (int k = 1; k <= rep.Max - rep.Min; k++)
                {
                    int rule = NewRule("opt");
                    GrammarNode first = inner < 0 ? item : new GrammarNode.Seq([item, new GrammarNode.Ref(inner)]);
                    _pending[rule] = new GrammarNode.Alt([first, GrammarNode.Empty]);
                    inner = rule;
                    if (_kinds.Count + k > MaxElements) throw new GrammarException("the grammar is too large (bounded repetition)");
                }
                Emit(ElementKind.Ref, inner);
            }
        }

        private int Anonymous(string kind, GrammarNode body)
        {
            int r = NewRule(kind);
            _pending[r] = body;
            return r;
        }

        private int NewRule(string kind)
        {
            _ruleNames.Add("_" + kind + _ruleNames.Count);
            _pending.Add(GrammarNode.Empty);
            _ruleAlts.Add(null!);
            return _pending.Count - 1;
        }

        private int SetIndex(ByteSet set, bool allowEmpty = false)
        {
            if (set.IsEmpty && !allowEmpty) throw new GrammarException("the grammar has an empty character class (it can never match)");
            if (!_setIndex.TryGetValue(set, out int i))
            {
                i = _sets.Count;
                _sets.Add(set);
                _setIndex[set] = i;
            }
            return i;
        }

        private void Emit(ElementKind kind, int arg)
        {
            if (_kinds.Count >= MaxElements) throw new GrammarException("the grammar is too large");
            _kinds.Add(kind);
            _args.Add(arg);
        }
    }
}
