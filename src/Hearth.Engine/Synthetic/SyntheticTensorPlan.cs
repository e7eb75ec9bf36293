using Hearth.Core.Gguf;

namespace Hearth.Engine.Synthetic;

/// <summary>One tensor of a synthetic model: name, ggml dimensions, storage type and how its values are made.</summary>
internal sealed record SyntheticTensor(string Name, long[] Dimensions, GgmlType Type, bool Ones)
{
    public long RowLength => Dimensions[0];
    public long Rows => Dimensions.Length > 1 ? Dimensions[1] : 1;
}

/// <summary>The tensor list of a preset, named and shaped as llama.cpp's converter writes them.</summary>
internal static class SyntheticTensorPlan
{
    /// <summary>Type of a 2-D weight for the requested file type. Q4_K files keep token_embd/output in Q6_K
    /// (llama.cpp's Q4_K_M does this for output.weight); the other types are used for every matrix, so a file tests
    /// its format alone. Rows that are not a multiple of the type's block fall back to Q8_0 (llama.cpp falls back to
    /// Q5_0/Q8_0 there).</summary>
    public static GgmlType WeightType(GgmlType quant, string name, long rowLength)
    {
        var t = quant == GgmlType.Q4_K && name is "token_embd.weight" or "output.weight" ? GgmlType.Q6_K : quant;
        GgmlTypeInfo.TryGetBlock(t, out int block, out int _);
        return rowLength % block == 0 ? t : GgmlType.Q8_0;
    }

    public static List<SyntheticTensor> Build(SyntheticPreset p, GgmlType quant, long nVocab)
    {
        long e = p.EmbeddingLength, q = p.HeadCount * p.HeadDim, kv = p.HeadCountKv * p.HeadDim, ff = p.FeedForwardLength;
        var list = new List<SyntheticTensor>();
        void W(string name, long cols, long rows) => list.Add(new(name, [cols, rows], WeightType(quant, name, cols), false));
        void V(string name, long n, bool ones) => list.Add(new(name, [n], GgmlType.F32, ones));

        W("token_embd.weight", e, nVocab);
        for (int i = 0; i < p.BlockCount; i++)
        {
            string b = $"blk.{i}.";
            V(b + "attn_norm.weight", e, true);
            W(b + "attn_q.weight", e, q);
            if (p.QkvBias) V(b + "attn_q.bias", q, false);
            W(b + "attn_k.weight", e, kv);
            if (p.QkvBias) V(b + "attn_k.bias", kv, false);
            W(b + "attn_v.weight", e, kv);
            if (p.QkvBias) V(b + "attn_v.bias", kv, false);
            W(b + "attn_output.weight", q, e);
            V(b + "ffn_norm.weight", e, true);
            W(b + "ffn_gate.weight", e, ff);
            W(b + "ffn_up.weight", e, ff);
            W(b + "ffn_down.weight", ff, e);
        }
        V("output_norm.weight", e, true);
        if (!p.TiedEmbeddings) W("output.weight", e, nVocab);
        return list;
    }
}
