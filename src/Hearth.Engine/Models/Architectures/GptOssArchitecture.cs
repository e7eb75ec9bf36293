using Hearth.Core.Gguf;
using Hearth.Core.Tensors;

namespace Hearth.Engine.Models.Architectures;

/// <summary>gpt-oss (llama.cpp's <c>gpt-oss</c>, its OPENAI_MOE graph): pre-norm blocks whose attention has Q/K/V and
/// output biases, a learned sink logit per head, and a sliding window on every even layer (layer 0 slides; odd layers
/// attend to everything), one YaRN rope for all layers, scores scaled by 1/√head_dim. The FFN norm is named
/// <c>post_attention_norm</c>; every FFN is routed experts: router with bias, the top k by raw logit weighted by a
/// softmax over those k, expert matrices with biases and the clamped SwiGLU x·σ(1.702x)·(clamp(u)+1), limit 7.</summary>
internal static class GptOssArchitecture
{
    private const float SwiGluAlpha = 1.702f, SwiGluLimit = 7.0f;

    public static DecoderDefinition Build(WeightBinder w, ModelHyperparameters hp)
    {
        if (hp.SlidingWindow <= 0) throw Missing(w, "metadata 'gpt-oss.attention.sliding_window'");
        if (hp.ExpertCount <= 0) throw Missing(w, "metadata 'gpt-oss.expert_count'");
        if (!w.Has("output.weight")) throw Missing(w, "tensor 'output.weight'");
        var rope = hp.Rope(null);
        var layers = new DecoderLayer[hp.LayerCount];
        for (int i = 0; i < layers.Length; i++)
        {
            string p = $"blk.{i}.";
            foreach (var name in (string[])["attn_q.bias", "attn_k.bias", "attn_v.bias", "attn_output.bias", "attn_sinks.weight", "post_attention_norm.weight",
                "ffn_gate_inp.weight", "ffn_gate_inp.bias", "ffn_gate_exps.bias", "ffn_up_exps.bias", "ffn_down_exps.bias"])
                if (!w.Has(p + name)) throw Missing(w, $"tensor '{p + name}'");
            var attention = w.Attention(i, hp) with { OutputBias = w.Get(p + "attn_output.bias", 1, hp.EmbeddingLength) };
            var settings = DecoderDefinition.Attention(hp, i % 2 == 0 ? hp.SlidingWindow : 0) with
            {
                Sinks = w.Get(p + "attn_sinks.weight", 1, hp.HeadCount),
            };
            layers[i] = new DecoderLayer(attention, Experts(w, hp, i), rope, settings);
        }
        return DecoderDefinition.WithLayers(w, hp, layers);
    }

    /// <summary>The routed experts with their biases (2-D {rows, experts} tensors: row e is expert e's bias).</summary>
    private static FeedForwardBlock Experts(WeightBinder w, ModelHyperparameters hp, int i)
    {
        string p = $"blk.{i}.";
        int d = hp.EmbeddingLength, n = hp.ExpertCount;
        int f = hp.ExpertFeedForwardLength > 0 ? hp.ExpertFeedForwardLength : hp.FeedForwardLength;
        // llama.cpp picks the top k by raw logit and softmaxes those k (SOFTMAX_WEIGHT); a softmax over all experts,
        // its top k renormalised, is the same selection and the same weights (e^l_i / Σ_topk e^l_j either way).
        var block = w.ExpertFeedForward(i, hp, normalizeWeights: true, normName: "post_attention_norm.weight");
        var experts = block.Experts! with
        {
            RouterBias = w.Get(p + "ffn_gate_inp.bias", 1, n),
            GateBias = w.ExpertBiases(p + "ffn_gate_exps.bias", n, f),
            UpBias = w.ExpertBiases(p + "ffn_up_exps.bias", n, f),
            DownBias = w.ExpertBiases(p + "ffn_down_exps.bias", n, d),
            SwiGluAlpha = SwiGluAlpha,
            SwiGluLimit = SwiGluLimit,
        };
        return block with { Experts = experts };
    }

    private static NotSupportedException Missing(WeightBinder w, string what) =>
        new($"{w.File.Path}: this gpt-oss variant is not supported: {what} is missing");
}
