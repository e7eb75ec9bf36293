using Hearth.Core.Gguf;
using Hearth.Engine.Models;

namespace Hearth.Store.Synthetic;

/// <summary>One tensor of a synthetic model: name, ggml dimensions, storage type and how its values are made
/// (<see cref="Ones"/>, fixed <see cref="Values"/>, or uniform random with standard deviation <see cref="Std"/>).</summary>
internal sealed record SyntheticTensor(string Name, long[] Dimensions, GgmlType Type, bool Ones, float Std, float[]? Values = null)
{
    public long RowLength => Dimensions[0];
    public long Rows => Dimensions.Skip(1).Aggregate(1L, (a, b) => a * b);
}

/// <summary>The tensor list of a preset, named and shaped as llama.cpp's converter writes them.</summary>
internal static class SyntheticTensorPlan
{
    /// <summary>Routers get a wider spread than other weights so that top-k choices are not near ties.</summary>
    private const float RouterStd = 0.5f;

    /// <summary>Type of a 2-D weight for the requested file type. Q4_K files keep token_embd/output in Q6_K
    /// (llama.cpp's Q4_K_M does this for output.weight); the other types are used for every matrix, so a file tests
    /// its format alone. Rows that are not a whole number of the type's blocks take llama.cpp's fallback
    /// (llama_tensor_get_type: Q2_K, Q3_K and IQ4_XS → IQ4_NL, Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0, then F16 where
    /// even that does not fit), so a synthetic file holds what a real one of that shape does (gemma-3-1b's 1,152-wide
    /// matrices are Q5_0 in its Q4_K files).</summary>
    /// <param name="mediumLayers">For Q4_K, llama.cpp's Q4_K_M mix over a model of this many layers (0: Q4_K_S): attn_v and
    /// ffn_down in Q6_K on the layers <see cref="UsesMoreBits"/> picks.</param>
    public static GgmlType WeightType(GgmlType quant, string name, long rowLength, int mediumLayers = 0)
    {
        var t = quant == GgmlType.Q4_K && name is "token_embd.weight" or "output.weight" ? GgmlType.Q6_K : quant;
        if (quant == GgmlType.Q4_K && mediumLayers > 0 && Layer(name) is int layer && (name.EndsWith(".attn_v.weight") || name.EndsWith(".ffn_down.weight"))
            && UsesMoreBits(layer, mediumLayers))
            t = GgmlType.Q6_K;
        if (Fits(t, rowLength)) return t;
        var fallback = t switch
        {
            GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.IQ4_XS => GgmlType.IQ4_NL,
            GgmlType.Q4_K => GgmlType.Q5_0,
            GgmlType.Q5_K => GgmlType.Q5_1,
            GgmlType.Q6_K => GgmlType.Q8_0,
            _ => GgmlType.F16,
        };
        return Fits(fallback, rowLength) ? fallback : GgmlType.F16;

        static bool Fits(GgmlType type, long columns)
        {
            GgmlTypeInfo.TryGetBlock(type, out int block, out int _);
            return columns % block == 0;
        }
    }

    /// <summary>llama.cpp's choice of the layers whose attn_v and ffn_down get more bits in its _M mixes: the first and
    /// last eighth, and every third layer between.</summary>
    public static bool UsesMoreBits(int layer, int layers) => layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;

    /// <summary>The layer of a "blk.N." tensor, or null.</summary>
    private static int? Layer(string name)
    {
        if (!name.StartsWith("blk.", StringComparison.Ordinal)) return null;
        int dot = name.IndexOf('.', 4);
        return dot > 4 && int.TryParse(name.AsSpan(4, dot - 4), out int layer) ? layer : null;
    }

    /// <param name="medium">Q4_K only: llama.cpp's Q4_K_M mix (<see cref="WeightType"/>) instead of Q4_K_S.</param>
    public static List<SyntheticTensor> Build(SyntheticPreset p, GgmlType quant, long nVocab, bool medium = false)
    {
        if (p.IsEncoder) return BuildEncoder(p, quant, nVocab);
        if (p.Architecture == "gpt-oss") return BuildGptOss(p, quant, nVocab);
        long e = p.EmbeddingLength, q = p.HeadCount * p.HeadDim, kv = p.HeadCountKv * p.HeadDim, ff = p.FeedForwardLength;
        var list = new List<SyntheticTensor>();
        int mediumLayers = medium ? p.BlockCount : 0;
        void W(string name, params long[] dims) => list.Add(new(name, dims, WeightType(quant, name, dims[0], mediumLayers), false, p.WeightStd));
        void V(string name, long n, bool ones) => list.Add(new(name, [n], GgmlType.F32, ones, p.WeightStd));

        W("token_embd.weight", e, nVocab);
        if (p.RopeOriginalContext > 0)
        {
            // LongRoPE: per-pair divisors, short ones mild and long ones strong (like Phi-3's).
            int pairs = p.HeadDim / 2;
            list.Add(new("rope_factors_short.weight", [pairs], GgmlType.F32, false, 0, Values: [.. Enumerable.Range(0, pairs).Select(i => 1f + 0.05f * i)]));
            list.Add(new("rope_factors_long.weight", [pairs], GgmlType.F32, false, 0, Values: [.. Enumerable.Range(0, pairs).Select(i => 1f + 0.5f * i)]));
        }
        for (int i = 0; i < p.BlockCount; i++)
        {
            string b = $"blk.{i}.";
            V(b + "attn_norm.weight", e, true);
            if (p.Fused) W(b + "attn_qkv.weight", e, q + 2 * kv);
            else
            {
                W(b + "attn_q.weight", e, q);
                if (p.QkvBias) V(b + "attn_q.bias", q, false);
                W(b + "attn_k.weight", e, kv);
                if (p.QkvBias) V(b + "attn_k.bias", kv, false);
                W(b + "attn_v.weight", e, kv);
                if (p.QkvBias) V(b + "attn_v.bias", kv, false);
            }
            if (p.QkNorm)
            {
                V(b + "attn_q_norm.weight", p.HeadDim, true);
                V(b + "attn_k_norm.weight", p.HeadDim, true);
            }
            W(b + "attn_output.weight", q, e);
            if (p.PostNorms) V(b + "post_attention_norm.weight", e, true);
            V(b + "ffn_norm.weight", e, true);
            if (p.ExpertCount > 0) AddExperts(list, p, b, quant);
            else if (p.Fused) W(b + "ffn_up.weight", e, 2 * ff);
            else
            {
                W(b + "ffn_gate.weight", e, ff);
                W(b + "ffn_up.weight", e, ff);
            }
            if (p.ExpertCount == 0) W(b + "ffn_down.weight", ff, e);
            if (p.PostNorms) V(b + "post_ffw_norm.weight", e, true);
        }
        V("output_norm.weight", e, true);
        if (!p.TiedEmbeddings) W("output.weight", e, nVocab);
        if (p.Pooling == PoolingType.Rank)
            list.Add(new("cls.output.weight", [e, SyntheticMetadata.DecoderRankLabels.Length], GgmlType.F32, false, p.WeightStd));
        return list;
    }

    /// <summary>bert (separate Q/K/V with biases, learned positions, GELU), nomic-bert (fused QKV, rope, SwiGLU, no
    /// biases) or jina-bert-v2 (bert's biases, no positions: ALiBi; GEGLU with a separate gate, no up bias); layer norms
    /// everywhere; a classification head when the pooling is rank.</summary>
    private static List<SyntheticTensor> BuildEncoder(SyntheticPreset p, GgmlType quant, long nVocab)
    {
        long e = p.EmbeddingLength, ff = p.FeedForwardLength;
        bool nomic = p.Architecture == "nomic-bert", jina = p.Architecture == "jina-bert-v2";
        var list = new List<SyntheticTensor>();
        void W(string name, long cols, long rows) => list.Add(new(name, [cols, rows], WeightType(quant, name, cols), false, p.WeightStd));
        void F(string name, long cols, long rows) => list.Add(new(name, [cols, rows], GgmlType.F32, false, p.WeightStd));
        void V(string name, long n, bool ones) => list.Add(new(name, [n], GgmlType.F32, ones, p.WeightStd));
        void Norm(string name) { V(name + ".weight", e, true); V(name + ".bias", e, false); }

        W("token_embd.weight", e, nVocab);
        F("token_types.weight", e, 2);
        if (!nomic && !jina) W("position_embd.weight", e, p.ContextLength);
        Norm("token_embd_norm");
        for (int i = 0; i < p.BlockCount; i++)
        {
            string b = $"blk.{i}.";
            if (nomic) W(b + "attn_qkv.weight", e, 3 * e);
            else
                foreach (var m in (string[])["attn_q", "attn_k", "attn_v"]) { W(b + m + ".weight", e, e); V(b + m + ".bias", e, false); }
            W(b + "attn_output.weight", e, e);
            if (!nomic) V(b + "attn_output.bias", e, false);
            Norm(b + "attn_output_norm");
            W(b + "ffn_up.weight", e, ff);
            if (nomic || jina) W(b + "ffn_gate.weight", e, ff);
            else V(b + "ffn_up.bias", ff, false);
            W(b + "ffn_down.weight", ff, e);
            if (!nomic) V(b + "ffn_down.bias", e, false);
            Norm(b + "layer_output_norm");
        }
        if (p.Pooling == PoolingType.Rank)
        {
            W("cls.weight", e, e);
            V("cls.bias", e, false);
            F("cls.output.weight", e, 1);
            V("cls.output.bias", 1, false);
        }
        return list;
    }

    /// <summary>gpt-oss as llama.cpp loads it: Q/K/V/O with biases, a sink logit per head, <c>post_attention_norm</c> before
    /// the experts, a router with a bias, expert matrices with per-expert biases ({rows, experts} F32), an untied output.
    /// An MXFP4 file is what llama.cpp's MXFP4_MOE makes: experts in MXFP4, the other matrices in Q8_0. The expert gate and
    /// up matrices are five times wider spread than the rest, so that their outputs reach the SwiGLU clamp (±7) now and
    /// then, and the down matrices five times narrower, so that attention still moves the residual stream.</summary>
    private static List<SyntheticTensor> BuildGptOss(SyntheticPreset p, GgmlType quant, long nVocab)
    {
        long e = p.EmbeddingLength, q = p.HeadCount * p.HeadDim, kv = p.HeadCountKv * p.HeadDim, n = p.ExpertCount;
        long f = p.ExpertFeedForwardLength > 0 ? p.ExpertFeedForwardLength : p.FeedForwardLength;
        var dense = quant == GgmlType.MXFP4 ? GgmlType.Q8_0 : quant;
        var list = new List<SyntheticTensor>();
        void W(string name, params long[] dims) => list.Add(new(name, dims, WeightType(dense, name, dims[0]), false, p.WeightStd));
        void X(string name, float std, params long[] dims) => list.Add(new(name, dims, WeightType(quant, name, dims[0]), false, std));
        void F(string name, float std, params long[] dims) => list.Add(new(name, dims, GgmlType.F32, false, std));
        void Ones(string name) => list.Add(new(name, [e], GgmlType.F32, true, 0));

        W("token_embd.weight", e, nVocab);
        for (int i = 0; i < p.BlockCount; i++)
        {
            string b = $"blk.{i}.";
            Ones(b + "attn_norm.weight");
            W(b + "attn_q.weight", e, q);
            F(b + "attn_q.bias", p.WeightStd, q);
            W(b + "attn_k.weight", e, kv);
            F(b + "attn_k.bias", p.WeightStd, kv);
            W(b + "attn_v.weight", e, kv);
            F(b + "attn_v.bias", p.WeightStd, kv);
            W(b + "attn_output.weight", q, e);
            F(b + "attn_output.bias", p.WeightStd, e);
            F(b + "attn_sinks.weight", 1f, p.HeadCount);
            Ones(b + "post_attention_norm.weight");
            F(b + "ffn_gate_inp.weight", RouterStd, e, n);
            F(b + "ffn_gate_inp.bias", RouterStd, n);
            X(b + "ffn_gate_exps.weight", 5 * p.WeightStd, e, f, n);
            F(b + "ffn_gate_exps.bias", 1f, f, n);
            X(b + "ffn_up_exps.weight", 5 * p.WeightStd, e, f, n);
            F(b + "ffn_up_exps.bias", 1f, f, n);
            X(b + "ffn_down_exps.weight", p.WeightStd / 5, f, e, n);
            F(b + "ffn_down_exps.bias", p.WeightStd, e, n);
        }
        Ones("output_norm.weight");
        W("output.weight", e, nVocab);
        return list;
    }

    /// <summary>Router (F32, as llama.cpp keeps it), 3-D expert tensors {cols, rows, experts}, and the shared expert.</summary>
    private static void AddExperts(List<SyntheticTensor> list, SyntheticPreset p, string b, GgmlType quant)
    {
        long e = p.EmbeddingLength, n = p.ExpertCount;
        long f = p.ExpertFeedForwardLength > 0 ? p.ExpertFeedForwardLength : p.FeedForwardLength;
        void W(string name, params long[] dims) => list.Add(new(name, dims, WeightType(quant, name, dims[0]), false, p.WeightStd));
        list.Add(new(b + "ffn_gate_inp.weight", [e, n], GgmlType.F32, false, RouterStd));
        W(b + "ffn_gate_exps.weight", e, f, n);
        W(b + "ffn_up_exps.weight", e, f, n);
        W(b + "ffn_down_exps.weight", f, e, n);
        if (p.SharedExpertFeedForwardLength == 0) return;
        long s = p.SharedExpertFeedForwardLength;
        list.Add(new(b + "ffn_gate_inp_shexp.weight", [e], GgmlType.F32, false, RouterStd));
        W(b + "ffn_gate_shexp.weight", e, s);
        W(b + "ffn_up_shexp.weight", e, s);
        W(b + "ffn_down_shexp.weight", s, e);
    }
}
