using Hearth.Core.Gguf;
using Hearth.Core.Tensors;

namespace Hearth.Engine.Models.Bert;

/// <summary>The weights of a BERT-family GGUF, bound to a backend, named as llama.cpp's converter writes them.
/// A fused <c>attn_qkv</c> matrix (nomic-bert) is bound as three row ranges of the same file data.</summary>
internal sealed record BertWeights(
    Weight TokenEmbedding, Weight? TokenTypes, Weight? Positions, Weight EmbeddingNorm, Weight? EmbeddingNormBias,
    BertLayer[] Layers, Weight? Classifier, Weight? ClassifierBias, Weight? ClassifierOutput, Weight? ClassifierOutputBias)
{
    public static BertWeights Load(GgufFile file, IBackend backend, BertHyperparameters hp)
    {
        int d = hp.EmbeddingLength, f = hp.FeedForwardLength;

        Weight Bind(GgufTensorInfo info, int rows, int cols)
        {
            var w = backend.LoadWeight(file, info);
            if (w.Rows * (long)w.Columns != rows * (long)cols || w.Columns != cols)
                throw new GgufException($"{file.Path}: tensor '{info.Name}' is {w.Rows}×{w.Columns}, expected {rows}×{cols}");
            return w;
        }
        Weight Get(string name, int rows, int cols) => Bind(file.GetTensor(name), rows, cols);
        Weight? Optional(string name, int rows, int cols) => file.TryGetTensor(name, out var t) ? Bind(t, rows, cols) : null;

        // Rows [first, first + count) of a matrix or bias, as a tensor of its own (ggml rows are contiguous).
        Weight Slice(GgufTensorInfo whole, int first, int count, int cols)
        {
            long rowBytes = GgmlTypeInfo.RowBytes(whole.Type, cols);
            var part = whole with
            {
                Name = $"{whole.Name}[{first}..{first + count})",
                Dimensions = whole.Dimensions.Length == 1 ? [count] : [cols, count],
                DataOffset = whole.DataOffset + first * (whole.Dimensions.Length == 1 ? GgmlTypeInfo.RowBytes(whole.Type, 1) : rowBytes),
                ByteSize = whole.Dimensions.Length == 1 ? GgmlTypeInfo.RowBytes(whole.Type, count) : count * rowBytes,
            };
            return whole.Dimensions.Length == 1 ? Bind(part, 1, count) : Bind(part, count, cols);
        }

        var layers = new BertLayer[hp.LayerCount];
        for (int i = 0; i < layers.Length; i++)
        {
            string p = $"blk.{i}.";
            Weight q, k, v;
            Weight? qb = null, kb = null, vb = null;
            if (file.TryGetTensor(p + "attn_qkv.weight", out var qkv))
            {
                if (qkv.RowLength != d || qkv.RowCount != 3L * d)
                    throw new GgufException($"{file.Path}: tensor '{qkv.Name}' is {qkv.RowCount}×{qkv.RowLength}, expected {3 * d}×{d}");
                (q, k, v) = (Slice(qkv, 0, d, d), Slice(qkv, d, d, d), Slice(qkv, 2 * d, d, d));
                if (file.TryGetTensor(p + "attn_qkv.bias", out var bias))
                    (qb, kb, vb) = (Slice(bias, 0, d, 1), Slice(bias, d, d, 1), Slice(bias, 2 * d, d, 1));
            }
            else
            {
                (q, k, v) = (Get(p + "attn_q.weight", d, d), Get(p + "attn_k.weight", d, d), Get(p + "attn_v.weight", d, d));
                (qb, kb, vb) = (Optional(p + "attn_q.bias", 1, d), Optional(p + "attn_k.bias", 1, d), Optional(p + "attn_v.bias", 1, d));
            }
            layers[i] = new BertLayer(q, qb, k, kb, v, vb,
                Get(p + "attn_output.weight", d, d), Optional(p + "attn_output.bias", 1, d),
                Get(p + "attn_output_norm.weight", 1, d), Optional(p + "attn_output_norm.bias", 1, d),
                Get(p + "ffn_up.weight", f, d), Optional(p + "ffn_up.bias", 1, f), Optional(p + "ffn_gate.weight", f, d),
                Get(p + "ffn_down.weight", d, f), Optional(p + "ffn_down.bias", 1, d),
                Get(p + "layer_output_norm.weight", 1, d), Optional(p + "layer_output_norm.bias", 1, d))
            {
                QNorm = Optional(p + "attn_q_norm.weight", 1, d), QNormBias = Optional(p + "attn_q_norm.bias", 1, d),
                KNorm = Optional(p + "attn_k_norm.weight", 1, d), KNormBias = Optional(p + "attn_k_norm.bias", 1, d),
            };
            // Variants llama.cpp runs that this class does not (yet): refused by name rather than run wrong.
            if (file.TryGetTensor(p + "attn_norm_2.weight", out _))
                throw new NotSupportedException($"{file.Path}: {hp.Architecture} with a second attention norm (attn_norm_2) is not supported");
            if (hp.GeluGate && layers[i].Gate is null)
                throw new NotSupportedException($"{file.Path}: {hp.Architecture} with the gate fused into ffn_up is not supported");
        }

        Weight? positions = null;
        if (!hp.UsesRope && !hp.UsesAlibi) positions = Get("position_embd.weight", (int)file.GetTensor("position_embd.weight").RowCount, d);
        Weight? types = file.TryGetTensor("token_types.weight", out var tt) ? Bind(tt, (int)tt.RowCount, d) : null;

        Weight? cls = null, clsBias = null, clsOut = null, clsOutBias = null;
        if (hp.Pooling == PoolingType.Rank)
        {
            cls = Optional("cls.weight", d, d);
            clsBias = cls is null ? null : Optional("cls.bias", 1, d);
            if (file.TryGetTensor("cls.output.weight", out var co))
            {
                clsOut = Bind(co, (int)co.RowCount, d);
                clsOutBias = Optional("cls.output.bias", 1, clsOut.Rows);
            }
            if (cls is null && clsOut is null)
                throw new GgufException($"{file.Path}: rank pooling needs a classification head (cls.weight or cls.output.weight)");
        }

        return new BertWeights(
            Get("token_embd.weight", hp.VocabSize, d), types, positions,
            Get("token_embd_norm.weight", 1, d), Optional("token_embd_norm.bias", 1, d),
            layers, cls, clsBias, clsOut, clsOutBias);
    }
}
