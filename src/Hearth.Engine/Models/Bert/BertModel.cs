using System.Runtime.CompilerServices;
using Hearth.Core.Gguf;
using Hearth.Core.Tensors;

namespace Hearth.Engine.Models.Bert;

/// <summary>BERT-family encoders (bert: BGE, MiniLM, E5 and BGE-style rerankers; nomic-bert: nomic-embed-text) over
/// any <see cref="IBackend"/>. Post-norm layers with bidirectional attention; no KV cache is kept. Many sequences run
/// in one pass: every weight is read once for all their tokens, and attention stays within each sequence.
/// Bidirectional attention runs on the backend's <see cref="IEncoderAttention"/> when it has one (contiguous K/V of
/// the packed sequences, no paging); otherwise on its paged attention, with the sequence's own K and V rows as its
/// "cache" (block size 1, block table = the rows of its tokens) and every token's extent the sequence's last position.</summary>
public sealed class BertModel : IEmbeddingModel
{
    private readonly IBackend _backend;
    private readonly BertHyperparameters _hp;
    private readonly BertWeights _w;
    private readonly RopeParameters _rope;
    private readonly AttentionParameters _attention;
    private BertScratch? _scratch;
    private int[] _positions = [], _extent = [], _tokenSequence = [], _poolRows = [];

    private BertModel(IBackend backend, BertHyperparameters hp, BertWeights weights)
    {
        _backend = backend;
        _hp = hp;
        _w = weights;
        _rope = new RopeParameters(hp.HeadDim, hp.RopeFrequencyBase, 1.0f, Neox: true, FrequencyFactors: null);
        _attention = new AttentionParameters(hp.HeadCount, hp.HeadCount, hp.HeadDim, 1.0f / MathF.Sqrt(hp.HeadDim), BlockSize: 1,
            AlibiSlopes: hp.UsesAlibi ? AttentionParameters.AlibiSlopesFor(hp.HeadCount, BertHyperparameters.MaxAlibiBias) : null);
        int outputs = hp.Pooling == PoolingType.Rank ? (weights.ClassifierOutput?.Rows ?? hp.EmbeddingLength) : hp.EmbeddingLength;
        Shape = new EmbeddingShape(hp.Architecture, hp.VocabSize, hp.ContextLength, hp.EmbeddingLength, outputs, hp.Pooling);
    }

    public BertHyperparameters Hyperparameters => _hp;

    public EmbeddingShape Shape { get; }

    /// <summary>Binds the model's weights in <paramref name="file"/> (kept open by the caller) to <paramref name="backend"/>.</summary>
    public static BertModel Load(GgufFile file, IBackend backend)
    {
        var hp = BertHyperparameters.FromGguf(file);
        return new BertModel(backend, hp, BertWeights.Load(file, backend, hp));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Embed(ReadOnlySpan<int> tokens, ReadOnlySpan<int> lengths, Span<float> output)
    {
        int t = tokens.Length, n = lengths.Length;
        if (output.Length < (long)n * Shape.OutputLength)
            throw new ArgumentException($"output holds {output.Length} floats; {n} rows of {Shape.OutputLength} are needed");
        if (n == 0) return;
        var s = _scratch is { } existing && existing.Capacity >= t && existing.SequenceCapacity >= n ? existing : Regrow(t, n);
        PrepareBatch(lengths, t);
        var encoderAttention = _backend as IEncoderAttention;
        bool onePerSequence = _hp.Pooling != PoolingType.Mean;

        var b = _backend;
        b.Embed(_w.TokenEmbedding, tokens, s.X);
        if (_w.TokenTypes is { } types)
        {
            b.Embed(types, s.TokenTypeIds.AsSpan(0, t), s.Out);
            b.Add(s.X, s.Out, s.X, t);
        }
        if (_w.Positions is { } positions)
        {
            b.Embed(positions, _positions.AsSpan(0, t), s.Out);
            b.Add(s.Out, s.X, s.X, t);
        }
        b.LayerNorm(s.X, _w.EmbeddingNorm, _w.EmbeddingNormBias, _hp.LayerNormEpsilon, s.X, t);

        var attention = encoderAttention is null
            ? _attention with { Batch = new AttentionBatch(_extent, _tokenSequence, BlockTables(lengths), _positions) }
            : _attention;
        for (int l = 0; l < _w.Layers.Length; l++)
        {
            var L = _w.Layers[l];
            Project(s.X, L.Q, L.QBias, s.Q, t);
            Project(s.X, L.K, L.KBias, s.K, t);
            Project(s.X, L.V, L.VBias, s.V, t);
            if (L.QNorm is { } qNorm) b.LayerNorm(s.Q, qNorm, L.QNormBias, _hp.LayerNormEpsilon, s.Q, t);
            if (L.KNorm is { } kNorm) b.LayerNorm(s.K, kNorm, L.KNormBias, _hp.LayerNormEpsilon, s.K, t);
            if (_hp.UsesRope)
            {
                b.Rope(s.Q, t, _hp.HeadDim, _positions.AsSpan(0, t), _rope);
                b.Rope(s.K, t, _hp.HeadDim, _positions.AsSpan(0, t), _rope);
            }
            if (encoderAttention is not null) encoderAttention.EncoderAttention(s.Q, s.K, s.V, s.Attention, attention, lengths);
            else b.PagedAttention(s.Q, s.K, s.V, s.Attention, attention, t);

            // The last layer only needs the rows the pooling reads (llama.cpp does the same).
            if (l == _w.Layers.Length - 1 && onePerSequence)
            {
                b.GatherRows(s.Attention, _poolRows.AsSpan(0, n), s.PooledAttention);
                b.GatherRows(s.X, _poolRows.AsSpan(0, n), s.PooledX);
                FinishLayer(L, s.PooledAttention, s.PooledX, s, n);
            }
            else FinishLayer(L, s.Attention, s.X, s, t);
        }
        Pool(s, lengths, t, output);
    }

    /// <summary>Output projection, residual, norm, feed-forward, residual, norm; the result replaces <paramref name="x"/>.</summary>
    private void FinishLayer(BertLayer L, Tensor attention, Tensor x, BertScratch s, int rows)
    {
        var b = _backend;
        Project(attention, L.Output, L.OutputBias, s.Out, rows);
        b.Add(s.Out, x, s.Out, rows);
        b.LayerNorm(s.Out, L.AttentionNorm, L.AttentionNormBias, _hp.LayerNormEpsilon, x, rows);
        Project(x, L.Up, L.UpBias, s.Up, rows);
        if (L.Gate is { } gate)
        {
            b.MatMul(x, gate, s.Gate, rows);
            if (_hp.GeluGate) b.GeGlu(s.Gate, s.Up, s.Up, rows);
            else b.SwiGlu(s.Gate, s.Up, s.Up, rows);
        }
        else b.Gelu(s.Up, s.Up, rows);
        Project(s.Up, L.Down, L.DownBias, s.Out, rows);
        b.Add(s.Out, x, s.Out, rows);
        b.LayerNorm(s.Out, L.LayerNorm, L.LayerNormBias, _hp.LayerNormEpsilon, x, rows);
    }

    private void Project(Tensor x, Weight w, Weight? bias, Tensor y, int rows)
    {
        _backend.MatMul(x, w, y, rows);
        if (bias is not null) _backend.AddBias(y, bias, rows);
    }

    /// <summary>Pooling on the host (one copy of the final states); rank pooling runs the classification head first.</summary>
    private void Pool(BertScratch s, ReadOnlySpan<int> lengths, int t, Span<float> output)
    {
        int d = _hp.EmbeddingLength, n = lengths.Length;
        if (_hp.Pooling == PoolingType.Rank)
        {
            ClassifierHead(s, n, output);
            return;
        }
        if (_hp.Pooling != PoolingType.Mean)
        {
            _backend.Download(s.PooledX, 0, n, output[..(n * d)]);
            return;
        }
        _backend.Download(s.X, 0, t, s.Host.AsSpan(0, t * d));
        int start = 0;
        for (int i = 0; i < n; i++)
        {
            var o = output.Slice(i * d, d);
            o.Clear();
            for (int j = 0; j < lengths[i]; j++)
                System.Numerics.Tensors.TensorPrimitives.Add(o, s.Host.AsSpan((start + j) * d, d), o);
            System.Numerics.Tensors.TensorPrimitives.Multiply(o, 1.0f / lengths[i], o);
            start += lengths[i];
        }
    }

    /// <summary>score = cls_out · tanh(cls · h_CLS + b) + b_out (either stage may be absent), as llama.cpp's rank pooling.</summary>
    private void ClassifierHead(BertScratch s, int n, Span<float> output)
    {
        var b = _backend;
        var h = s.PooledX;
        if (_w.Classifier is { } cls)
        {
            Project(s.PooledX, cls, _w.ClassifierBias, s.PooledAttention, n);
            var host = s.Host.AsSpan(0, n * _hp.EmbeddingLength);
            b.Download(s.PooledAttention, 0, n, host);
            System.Numerics.Tensors.TensorPrimitives.Tanh(host, host);
            b.Upload(host, s.PooledAttention, 0);
            h = s.PooledAttention;
        }
        if (_w.ClassifierOutput is { } clsOut)
        {
            Project(h, clsOut, _w.ClassifierOutputBias, s.Scores, n);
            h = s.Scores;
        }
        b.Download(h, 0, n, output[..(n * Shape.OutputLength)]);
    }

    /// <summary>Validates lengths and fills positions, attention extents, sequence ids and pooled rows.</summary>
    private void PrepareBatch(ReadOnlySpan<int> lengths, int t)
    {
        if (_positions.Length < t)
        {
            int c = Math.Max(t, _positions.Length * 2);
            _positions = new int[c]; _extent = new int[c]; _tokenSequence = new int[c];
        }
        if (_poolRows.Length < lengths.Length) _poolRows = new int[Math.Max(lengths.Length, _poolRows.Length * 2)];
        int start = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            int len = lengths[i];
            if (len < 1) throw new ArgumentException($"sequence {i} is empty");
            if (len > _hp.ContextLength) throw new ArgumentException($"sequence {i} has {len} tokens; the model's context is {_hp.ContextLength}");
            if (start + len > t) throw new ArgumentException($"lengths cover more than the {t} tokens given");
            for (int j = 0; j < len; j++)
            {
                _positions[start + j] = j;
                _extent[start + j] = len - 1;
                _tokenSequence[start + j] = i;
            }
            _poolRows[i] = _hp.Pooling == PoolingType.Last ? start + len - 1 : start;
            start += len;
        }
        if (start != t) throw new ArgumentException($"lengths cover {start} tokens of the {t} given");
    }

    /// <summary>For backends without <see cref="IEncoderAttention"/>: each sequence's block table (block size 1) is
    /// the rows of its own tokens.</summary>
    private static int[][] BlockTables(ReadOnlySpan<int> lengths)
    {
        var tables = new int[lengths.Length][];
        int start = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            var table = tables[i] = new int[lengths[i]];
            for (int j = 0; j < table.Length; j++) table[j] = start + j;
            start += lengths[i];
        }
        return tables;
    }

    private BertScratch Regrow(int tokens, int sequences)
    {
        int capacity = Math.Max(tokens, _scratch?.Capacity ?? 0);
        int seqCapacity = Math.Max(sequences, _scratch?.SequenceCapacity ?? 0);
        _scratch?.Dispose();
        _scratch = new BertScratch(_backend, _hp, capacity, seqCapacity, Shape.OutputLength);
        return _scratch;
    }

    public void Dispose()
    {
        _scratch?.Dispose();
        _scratch = null;
    }
}
