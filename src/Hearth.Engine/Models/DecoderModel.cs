using System.Runtime.CompilerServices;
using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Engine.Lora;
using Hearth.Engine.Models.Architectures;

namespace Hearth.Engine.Models;

/// <summary>The decoder every supported architecture runs on, over any <see cref="IBackend"/>: embeddings (optionally
/// scaled), pre-norm blocks of GQA attention (per-layer rope and sliding window, optional biases, Q/K norms, score
/// softcapping, post-norms) and a gated FFN or routed experts, a final norm, the output matrix and optional logit
/// softcapping. What differs per architecture is bound in <c>Architectures/</c>. One Forward runs every token of a
/// mixed batch through each weight once; attention reads each sequence's paged KV cache through its block table.</summary>
public sealed class DecoderModel : IForwardModel, ILoraModel
{
    private readonly GgufFile _file;
    private readonly LoraRunner _lora;
    private readonly IBackend _backend;
    private readonly ModelHyperparameters _hp;
    private readonly DecoderDefinition _def;
    private readonly DecoderLayer[] _layers;
    private readonly AttentionParameters[] _attention;
    private readonly ExpertRunner _experts;
    private readonly MatMulPart[] _groupedParts = new MatMulPart[3]; // Q, K, V (or gate, up) as one grouped matmul
    private readonly int _feedForward;
    private Tensor[] _kCache = [], _vCache = [];
    private int _blockSize;
    private int[] _layerGroup = [];      // per layer: its KV-cache group
    private DecoderScratch? _scratch;
    private int _groupCount = 1;

    private DecoderModel(GgufFile file, IBackend backend, ModelHyperparameters hp, DecoderDefinition def)
    {
        _file = file;
        _lora = new LoraRunner(backend);
        _backend = backend;
        _hp = hp;
        _def = def;
        _layers = def.Layers;
        _attention = _layers.Select(l => l.AttentionSettings).ToArray();
        _experts = new ExpertRunner(backend, hp.EmbeddingLength);
        _feedForward = _layers.Max(l => l.FeedForward.Gate?.Rows ?? 0);
        Shape = new ModelShape(hp.Architecture, hp.VocabSize, hp.ContextLength, hp.LayerCount, hp.KvHeadCount, hp.HeadDim, hp.EmbeddingLength);
    }

    public ModelHyperparameters Hyperparameters => _hp;

    public ModelShape Shape { get; }

    public long KvBytesPerToken => KvBytesPerTokenFor(KvCacheType.F32);

    /// <summary>The element type of the KV cache allocated last.</summary>
    public KvCacheType KvCacheType { get; private set; }

    public long KvBytesPerTokenFor(KvCacheType type)
    {
        int block = KvCacheTypes.BlockElements(type);
        if (_hp.HeadDim % block != 0)
            throw new NotSupportedException($"a {KvCacheTypes.Name(type)} KV cache needs a head size that is a multiple of {block}; this model's is {_hp.HeadDim}");
        return 2L * _hp.LayerCount * KvCacheTypes.RowBytes(type, (long)_hp.KvHeadCount * _hp.HeadDim);
    }

    /// <summary>Binds the model's weights in <paramref name="file"/> (kept open by the caller) to <paramref name="backend"/>.
    /// An architecture the decoder does not run is a <see cref="NotSupportedException"/> naming it.</summary>
    public static DecoderModel Load(GgufFile file, IBackend backend)
    {
        var hp = ModelHyperparameters.FromGguf(file);
        return new DecoderModel(file, backend, hp, DecoderDefinition.Build(new WeightBinder(file, backend), hp));
    }

    /// <summary>Loads a llama.cpp LoRA adapter for this model (checked against the base file), bound to the same backend.</summary>
    public LoraAdapter LoadAdapter(string path, string name) => LoraLoader.Load(_file, _hp, _backend, path, name);

    public void AllocateKvCache(int blockCount, int blockSize) => AllocateKvCache(blockCount, blockSize, KvCacheType.F32);

    public void AllocateKvCache(int blockCount, int blockSize, KvCacheType type) =>
        AllocateKvCache(KvCacheLayout.Single(_hp.LayerCount, blockCount, blockSize, type));

    /// <summary>Per layer: its sliding window (0: full attention).</summary>
    public IReadOnlyList<int> SlidingWindows => _attention.Select(a => a.SlidingWindow).ToArray();

    public void AllocateKvCache(KvCacheLayout layout)
    {
        KvBytesPerTokenFor(layout.Type); // refuses a head size the type cannot block
        ArgumentOutOfRangeException.ThrowIfLessThan(layout.BlockSize, 1);
        if (layout.LayerGroup.Length != _hp.LayerCount || layout.BlockCounts.Length != layout.GroupCount)
            throw new ArgumentException($"the KV-cache layout names {layout.LayerGroup.Length} layers and {layout.BlockCounts.Length} pools; the model has {_hp.LayerCount} layers");
        foreach (int count in layout.BlockCounts) ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        FreeKv();
        int kvDim = _hp.KvHeadCount * _hp.HeadDim;
        _kCache = new Tensor[_hp.LayerCount];
        _vCache = new Tensor[_hp.LayerCount];
        for (int l = 0; l < _hp.LayerCount; l++)
        {
            int group = layout.LayerGroup[l];
            if (layout.GroupWindows[group] != 0 && layout.GroupWindows[group] != _attention[l].SlidingWindow)
                throw new ArgumentException($"layer {l} attends over a window of {_attention[l].SlidingWindow}, its KV-cache group frees blocks past {layout.GroupWindows[group]}");
            int slots = checked(layout.BlockCounts[group] * layout.BlockSize);
            _kCache[l] = _backend.AllocateKvCache(slots, kvDim, layout.Type);
            _vCache[l] = _backend.AllocateKvCache(slots, kvDim, layout.Type);
            _attention[l] = _attention[l] with { BlockSize = layout.BlockSize };
        }
        _layerGroup = layout.LayerGroup.ToArray();
        _groupCount = layout.GroupCount;
        _blockSize = layout.BlockSize;
        KvCacheType = layout.Type;
    }

    public void CopyBlocks(ReadOnlySpan<(int Source, int Destination)> pairs) => CopyBlocks(0, pairs);

    public void CopyBlocks(int group, ReadOnlySpan<(int Source, int Destination)> pairs)
    {
        foreach (var (src, dst) in pairs)
            for (int l = 0; l < _kCache.Length; l++)
            {
                if (_layerGroup[l] != group) continue;
                _backend.CopyRows(_kCache[l], src * _blockSize, dst * _blockSize, _blockSize);
                _backend.CopyRows(_vCache[l], src * _blockSize, dst * _blockSize, _blockSize);
            }
    }

    public void Forward(ForwardBatch batch, Span<float> logits) => Run(batch, logits, hiddenOnly: false);

    /// <summary>On a backend that takes argmaxes on the device (<see cref="IDeviceGreedy"/>): the forward pass, then one
    /// token id per logits row. Other backends: false (the host samples from <see cref="Forward"/>'s logits).</summary>
    public bool ForwardGreedy(ForwardBatch batch, Span<int> tokens)
    {
        if (_backend is not IDeviceGreedy) return false;
        Run(batch, [], hiddenOnly: false, tokens, toTokens: true);
        return true;
    }

    /// <summary>Runs the batch like <see cref="Forward"/> but writes, for each logits row, the token's hidden state
    /// after the final norm (<see cref="ModelHyperparameters.EmbeddingLength"/> floats) instead of its logits: what decoder embedding models pool (last-token pooling).</summary>
    public void ForwardHidden(ForwardBatch batch, Span<float> hidden) => Run(batch, hidden, hiddenOnly: true);

    /// <param name="toTokens">(A backend with <see cref="IDeviceGreedy"/>.) <paramref name="greedy"/> receives each logits
    /// row's argmax, and <paramref name="logits"/> is not written.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Run(ForwardBatch batch, Span<float> logits, bool hiddenOnly, Span<int> greedy = default, bool toTokens = false)
    {
        if (_kCache.Length == 0) throw new InvalidOperationException("AllocateKvCache must be called before Forward");
        int t = batch.TokenCount;
        var index = Validate(batch);
        int logitRows = index.LogitRows.Length;
        int width = hiddenOnly ? _hp.EmbeddingLength : _hp.VocabSize;
        if (toTokens && greedy.Length < logitRows)
            throw new ArgumentException($"token span holds {greedy.Length} ids; {logitRows} rows need one each");
        if (!toTokens && logits.Length < (long)logitRows * width)
            throw new ArgumentException($"output span holds {logits.Length} floats; {logitRows} rows of {width} are needed");
        if (t == 0) return;
        var s = _scratch is { } existing && existing.Capacity >= t && existing.LogitCapacity >= logitRows
            ? existing
            : Regrow(t, logitRows);

        var b = _backend;
        float eps = _hp.RmsEpsilon;
        bool lora = _lora.Prepare(batch);
        b.Embed(_def.Embedding, batch.TokenIds, s.X);
        if (_def.EmbeddingScale != 1f) b.Scale(s.X, _def.EmbeddingScale, t);
        // Whether s.Norm already holds this layer's attention norm (the previous layer's residual add computed it).
        bool normed = false;
        for (int l = 0; l < _layers.Length; l++)
        {
            var A = _layers[l].Attention;
            if (!normed) b.RmsNorm(s.X, A.Norm, eps, s.Norm, t);
            normed = false;
            if (!lora && b is IGroupedMatMul grouped)
            {
                // Q, K and V read the same rows: one parallel pass, the activation quantized once, biases added there.
                _groupedParts[0] = new MatMulPart(s.Norm, A.Q, s.Q, 0, t, A.QBias);
                _groupedParts[1] = new MatMulPart(s.Norm, A.K, s.K, 0, t, A.KBias);
                _groupedParts[2] = new MatMulPart(s.Norm, A.V, s.V, 0, t, A.VBias);
                grouped.MatMuls(_groupedParts);
            }
            else
            {
                MatMul(s.Norm, A.Q, s.Q, t, lora, l, LoraTarget.Q);
                MatMul(s.Norm, A.K, s.K, t, lora, l, LoraTarget.K);
                MatMul(s.Norm, A.V, s.V, t, lora, l, LoraTarget.V);
                if (A.QBias != null) b.AddBias(s.Q, A.QBias, t);
                if (A.KBias != null) b.AddBias(s.K, A.KBias, t);
                if (A.VBias != null) b.AddBias(s.V, A.VBias, t);
            }
            if (A.QNorm != null) b.RmsNorm(s.Q, A.QNorm, eps, s.Q, t);
            if (A.KNorm != null) b.RmsNorm(s.K, A.KNorm, eps, s.K, t);
            b.Rope(s.Q, t, _hp.HeadDim, batch.Positions, _layers[l].Rope);
            b.Rope(s.K, t, _hp.HeadDim, batch.Positions, _layers[l].Rope);
            b.WriteKv(s.K, s.V, _kCache[l], _vCache[l], batch.SlotMappings[_layerGroup[l]], t);
            b.PagedAttention(s.Q, _kCache[l], _vCache[l], s.Attention, _attention[l] with { Batch = index.Attention(_layerGroup[l]) }, t);
            MatMul(s.Attention, A.Output, s.Out, t, lora, l, LoraTarget.AttentionOutput);
            if (A.OutputBias != null) b.AddBias(s.Out, A.OutputBias, t);
            if (A.PostNorm != null) b.RmsNorm(s.Out, A.PostNorm, eps, s.Out, t);
            var F = _layers[l].FeedForward;
            b.AddRmsNorm(s.X, s.Out, F.Norm, eps, s.Norm, t);
            if (F.Experts is { } experts)
            {
                _experts.AddTo(experts, s.Norm, s.X, t);
                continue;
            }
            if (!lora && b is IGroupedMatMul groupedFfn)
            {
                _groupedParts[0] = new MatMulPart(s.Norm, F.Gate!, s.Gate, 0, t);
                _groupedParts[1] = new MatMulPart(s.Norm, F.Up!, s.Up, 0, t);
                groupedFfn.MatMuls(_groupedParts.AsSpan(0, 2));
            }
            else
            {
                MatMul(s.Norm, F.Gate!, s.Gate, t, lora, l, LoraTarget.Gate);
                MatMul(s.Norm, F.Up!, s.Up, t, lora, l, LoraTarget.Up);
            }
            if (F.Gelu) b.GeGlu(s.Gate, s.Up, s.Gate, t);
            else b.SwiGlu(s.Gate, s.Up, s.Gate, t);
            MatMul(s.Gate, F.Down!, s.Out, t, lora, l, LoraTarget.Down);
            if (F.PostNorm != null) b.RmsNorm(s.Out, F.PostNorm, eps, s.Out, t);
            if (l + 1 < _layers.Length)
            {
                b.AddRmsNorm(s.X, s.Out, _layers[l + 1].Attention.Norm, eps, s.Norm, t);
                normed = true;
            }
            else b.Add(s.X, s.Out, s.X, t);
        }
        if (logitRows == 0) return;
        b.GatherRows(s.X, index.LogitRows, s.Final);
        b.RmsNorm(s.Final, _def.OutputNorm, eps, s.Final, logitRows);
        if (hiddenOnly)
        {
            b.Download(s.Final, 0, logitRows, logits[..(logitRows * width)]);
            return;
        }
        b.MatMul(s.Final, _def.Output, s.Logits, logitRows);
        if (_def.FinalSoftcap > 0) b.Softcap(s.Logits, _def.FinalSoftcap, logitRows);
        if (toTokens)
        {
            ((IDeviceGreedy)b).ArgMax(s.Logits, logitRows, greedy[..logitRows]);
            return;
        }
        b.Download(s.Logits, 0, logitRows, logits[..(logitRows * _hp.VocabSize)]);
    }

    /// <summary>The base matmul over every token, then each adapter's low-rank update on its own rows.</summary>
    private void MatMul(Tensor x, Weight w, Tensor y, int t, bool lora, int layer, LoraTarget target)
    {
        _backend.MatMul(x, w, y, t);
        if (lora) _lora.Apply(layer, target, x, y);
    }

    /// <summary>Checks what the batch's index (built and validated once, <see cref="ForwardBatch.Index"/>) does not know:
    /// this cache's KV-cache groups and block size.</summary>
    private ForwardBatchIndex Validate(ForwardBatch batch)
    {
        var index = batch.Index;
        if (batch.SlotMappings.Length != _groupCount || (batch.Sequences.Length > 0 && index.GroupCount != _groupCount))
            throw new ArgumentException($"batch addresses {batch.SlotMappings.Length} KV-cache groups; the cache has {_groupCount}");
        foreach (var slots in batch.SlotMappings)
            if (slots.Length != batch.TokenCount)
                throw new ArgumentException($"batch has {batch.TokenCount} tokens but {slots.Length} slots");
        for (int i = 0; i < batch.Sequences.Length; i++)
            foreach (var table in batch.Sequences[i].BlockTables)
                if ((long)table.Length * _blockSize < batch.Sequences[i].ContextLength)
                    throw new ArgumentException($"sequence {i}: block table of {table.Length} blocks cannot hold {batch.Sequences[i].ContextLength} tokens");
        return index;
    }

    private DecoderScratch Regrow(int tokens, int logitRows)
    {
        int capacity = Math.Max(tokens, _scratch?.Capacity ?? 0);
        int logitCapacity = Math.Max(logitRows, _scratch?.LogitCapacity ?? 0);
        _scratch?.Dispose();
        _scratch = new DecoderScratch(_backend, _hp, _feedForward, capacity, logitCapacity);
        return _scratch;
    }

    private void FreeKv()
    {
        foreach (var t in _kCache) t.Dispose();
        foreach (var t in _vCache) t.Dispose();
        _kCache = _vCache = [];
    }

    public void Dispose()
    {
        FreeKv();
        _scratch?.Dispose();
        _scratch = null;
        _experts.Dispose();
        _lora.Dispose();
    }
}
