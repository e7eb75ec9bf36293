using System.Runtime.CompilerServices;
using Hearth.Core.Gguf;
using Hearth.Core.Tensors;

namespace Hearth.Engine.Models;

/// <summary>The Llama family (llama, mistral, smollm, qwen2, qwen3) over any <see cref="IBackend"/>: RMSNorm,
/// GQA attention with rope (normal or NeoX, frequency factors, linear scaling), optional QKV bias and per-head
/// Q/K norm, SwiGLU, tied or separate output. One Forward runs every token of a mixed batch through each weight
/// once; attention reads each sequence's paged KV cache through its block table.</summary>
public sealed class LlamaModel : IForwardModel
{
    private readonly IBackend _backend;
    private readonly LlamaHyperparameters _hp;
    private readonly Weight _embedding, _outputNorm, _output;
    private readonly LlamaLayer[] _layers;
    private readonly RopeParameters _rope;
    private AttentionParameters _attention;
    private Tensor[] _kCache = [], _vCache = [];
    private int _blockSize;
    private LlamaScratch? _scratch;
    private int[] _tokenSequence = [];
    private int[][] _blockTables = [];
    private int[] _logitRows = [];

    private LlamaModel(IBackend backend, LlamaHyperparameters hp, Weight embedding, Weight outputNorm, Weight output,
        LlamaLayer[] layers, Weight? ropeFactors)
    {
        _backend = backend;
        _hp = hp;
        _embedding = embedding;
        _outputNorm = outputNorm;
        _output = output;
        _layers = layers;
        _rope = new RopeParameters(hp.RopeDimensions, hp.RopeFrequencyBase, hp.RopeFrequencyScale, hp.RopeNeox, ropeFactors);
        _attention = new AttentionParameters(hp.HeadCount, hp.KvHeadCount, hp.HeadDim, 1.0f / MathF.Sqrt(hp.HeadDim), 1);
        Shape = new ModelShape(hp.Architecture, hp.VocabSize, hp.ContextLength, hp.LayerCount, hp.KvHeadCount, hp.HeadDim, hp.EmbeddingLength);
    }

    public LlamaHyperparameters Hyperparameters => _hp;

    public ModelShape Shape { get; }

    public long KvBytesPerToken => 2L * _hp.LayerCount * _hp.KvHeadCount * _hp.HeadDim * sizeof(float);

    /// <summary>Binds the model's weights in <paramref name="file"/> (kept open by the caller) to <paramref name="backend"/>.</summary>
    public static LlamaModel Load(GgufFile file, IBackend backend)
    {
        var hp = LlamaHyperparameters.FromGguf(file);
        int d = hp.EmbeddingLength, qDim = hp.HeadCount * hp.HeadDim, kvDim = hp.KvHeadCount * hp.HeadDim, f = hp.FeedForwardLength;

        Weight Get(string name, int rows, int cols)
        {
            var w = backend.LoadWeight(file, file.GetTensor(name));
            if (w.Rows * (long)w.Columns != rows * (long)cols || w.Columns != cols)
                throw new GgufException($"{file.Path}: tensor '{name}' is {w.Rows}×{w.Columns}, expected {rows}×{cols}");
            return w;
        }
        Weight? Optional(string name, int rows, int cols) => file.TryGetTensor(name, out _) ? Get(name, rows, cols) : null;

        var embedding = Get("token_embd.weight", hp.VocabSize, d);
        var output = Optional("output.weight", hp.VocabSize, d) ?? embedding;
        var layers = new LlamaLayer[hp.LayerCount];
        for (int i = 0; i < layers.Length; i++)
        {
            string p = $"blk.{i}.";
            layers[i] = new LlamaLayer(
                Get(p + "attn_norm.weight", 1, d),
                Get(p + "attn_q.weight", qDim, d), Get(p + "attn_k.weight", kvDim, d), Get(p + "attn_v.weight", kvDim, d),
                Optional(p + "attn_q.bias", 1, qDim), Optional(p + "attn_k.bias", 1, kvDim), Optional(p + "attn_v.bias", 1, kvDim),
                Optional(p + "attn_q_norm.weight", 1, hp.HeadDim), Optional(p + "attn_k_norm.weight", 1, hp.HeadDim),
                Get(p + "attn_output.weight", d, qDim),
                Get(p + "ffn_norm.weight", 1, d),
                Get(p + "ffn_gate.weight", f, d), Get(p + "ffn_up.weight", f, d), Get(p + "ffn_down.weight", d, f));
        }
        var ropeFactors = Optional("rope_freqs.weight", 1, hp.RopeDimensions / 2);
        return new LlamaModel(backend, hp, embedding, Get("output_norm.weight", 1, d), output, layers, ropeFactors);
    }

    public void AllocateKvCache(int blockCount, int blockSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        FreeKv();
        int kvDim = _hp.KvHeadCount * _hp.HeadDim;
        int slots = checked(blockCount * blockSize);
        _kCache = new Tensor[_hp.LayerCount];
        _vCache = new Tensor[_hp.LayerCount];
        for (int l = 0; l < _hp.LayerCount; l++)
        {
            _kCache[l] = _backend.Allocate(slots, kvDim);
            _vCache[l] = _backend.Allocate(slots, kvDim);
        }
        _blockSize = blockSize;
        _attention = _attention with { BlockSize = blockSize };
    }

    public void CopyBlocks(ReadOnlySpan<(int Source, int Destination)> pairs)
    {
        foreach (var (src, dst) in pairs)
            for (int l = 0; l < _kCache.Length; l++)
            {
                _backend.CopyRows(_kCache[l], src * _blockSize, dst * _blockSize, _blockSize);
                _backend.CopyRows(_vCache[l], src * _blockSize, dst * _blockSize, _blockSize);
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Forward(ForwardBatch batch, Span<float> logits)
    {
        if (_kCache.Length == 0) throw new InvalidOperationException("AllocateKvCache must be called before Forward");
        int t = batch.TokenCount;
        int logitRows = PrepareBatch(batch);
        if (logits.Length < (long)logitRows * _hp.VocabSize)
            throw new ArgumentException($"logits span holds {logits.Length} floats; {logitRows} rows of {_hp.VocabSize} are needed");
        if (t == 0) return;
        var s = _scratch is { } existing && existing.Capacity >= t && existing.LogitCapacity >= logitRows
            ? existing
            : Regrow(t, logitRows);

        var b = _backend;
        b.Embed(_embedding, batch.TokenIds, s.X);
        for (int l = 0; l < _layers.Length; l++)
        {
            var L = _layers[l];
            b.RmsNorm(s.X, L.AttentionNorm, _hp.RmsEpsilon, s.Norm, t);
            b.MatMul(s.Norm, L.Q, s.Q, t);
            b.MatMul(s.Norm, L.K, s.K, t);
            b.MatMul(s.Norm, L.V, s.V, t);
            if (L.QBias != null) b.AddBias(s.Q, L.QBias, t);
            if (L.KBias != null) b.AddBias(s.K, L.KBias, t);
            if (L.VBias != null) b.AddBias(s.V, L.VBias, t);
            if (L.QNorm != null) b.RmsNorm(s.Q, L.QNorm, _hp.RmsEpsilon, s.Q, t);
            if (L.KNorm != null) b.RmsNorm(s.K, L.KNorm, _hp.RmsEpsilon, s.K, t);
            b.Rope(s.Q, t, _hp.HeadDim, batch.Positions, _rope);
            b.Rope(s.K, t, _hp.HeadDim, batch.Positions, _rope);
            b.WriteKv(s.K, s.V, _kCache[l], _vCache[l], batch.SlotMapping, t);
            b.PagedAttention(s.Q, _kCache[l], _vCache[l], s.Attention, _attention, t);
            b.MatMul(s.Attention, L.Output, s.Out, t);
            b.Add(s.X, s.Out, s.X, t);

            b.RmsNorm(s.X, L.FfnNorm, _hp.RmsEpsilon, s.Norm, t);
            b.MatMul(s.Norm, L.Gate, s.Gate, t);
            b.MatMul(s.Norm, L.Up, s.Up, t);
            b.SwiGlu(s.Gate, s.Up, s.Gate, t);
            b.MatMul(s.Gate, L.Down, s.Out, t);
            b.Add(s.X, s.Out, s.X, t);
        }
        if (logitRows == 0) return;
        b.GatherRows(s.X, _logitRows.AsSpan(0, logitRows), s.Final);
        b.RmsNorm(s.Final, _outputNorm, _hp.RmsEpsilon, s.Final, logitRows);
        b.MatMul(s.Final, _output, s.Logits, logitRows);
        b.Download(s.Logits, 0, logitRows, logits[..(logitRows * _hp.VocabSize)]);
    }

    /// <summary>Validates the batch and fills the per-token sequence index, block tables and logit rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int PrepareBatch(ForwardBatch batch)
    {
        int t = batch.TokenCount;
        if (batch.Positions.Length != t || batch.SlotMapping.Length != t)
            throw new ArgumentException($"batch has {t} tokens but {batch.Positions.Length} positions and {batch.SlotMapping.Length} slots");
        if (_tokenSequence.Length < t) _tokenSequence = new int[Math.Max(t, _tokenSequence.Length * 2)];
        if (_blockTables.Length < batch.Sequences.Length) _blockTables = new int[Math.Max(batch.Sequences.Length, _blockTables.Length * 2)][];
        if (_logitRows.Length < batch.Sequences.Length) _logitRows = new int[Math.Max(batch.Sequences.Length, _logitRows.Length * 2)];
        int rows = 0, covered = 0;
        for (int i = 0; i < batch.Sequences.Length; i++)
        {
            var seq = batch.Sequences[i];
            if (seq.TokenStart < 0 || seq.TokenCount < 0 || seq.TokenStart + seq.TokenCount > t)
                throw new ArgumentException($"sequence {i} slice [{seq.TokenStart}, +{seq.TokenCount}) is outside the batch of {t}");
            if ((long)seq.BlockTable.Length * _blockSize < seq.ContextLength)
                throw new ArgumentException($"sequence {i}: block table of {seq.BlockTable.Length} blocks cannot hold {seq.ContextLength} tokens");
            for (int j = seq.TokenStart; j < seq.TokenStart + seq.TokenCount; j++)
            {
                if (batch.Positions[j] < 0 || batch.Positions[j] >= seq.ContextLength)
                    throw new ArgumentException($"token {j} has position {batch.Positions[j]} outside its sequence's context of {seq.ContextLength}");
                _tokenSequence[j] = i;
            }
            covered += seq.TokenCount;
            _blockTables[i] = seq.BlockTable;
            if (seq.NeedsLogits)
            {
                if (seq.TokenCount == 0) throw new ArgumentException($"sequence {i} wants logits but has no tokens in the batch");
                _logitRows[rows++] = seq.TokenStart + seq.TokenCount - 1;
            }
        }
        if (covered != t) throw new ArgumentException($"sequences cover {covered} tokens of a batch of {t}");
        _attention.Positions = batch.Positions;
        _attention.TokenSequence = _tokenSequence;
        _attention.BlockTables = _blockTables;
        return rows;
    }

    private LlamaScratch Regrow(int tokens, int logitRows)
    {
        int capacity = Math.Max(tokens, _scratch?.Capacity ?? 0);
        int logitCapacity = Math.Max(logitRows, _scratch?.LogitCapacity ?? 0);
        _scratch?.Dispose();
        _scratch = new LlamaScratch(_backend, _hp, capacity, logitCapacity);
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
    }
}
