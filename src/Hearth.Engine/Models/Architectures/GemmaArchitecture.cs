using Hearth.Core.Tensors;

namespace Hearth.Engine.Models.Architectures;

/// <summary>Gemma 2 and Gemma 3 (text): embeddings scaled by √d, GeGLU, a norm after attention and after the FFN
/// as well as before, interleaved sliding-window and global layers (Gemma 2: every other layer slides; Gemma 3: five
/// of every six, with rope base 10000 on the sliding ones and the file's base and scaling on the global ones).
/// Gemma 2 softcaps attention scores and the final logits; Gemma 3 normalises Q and K per head instead.
/// The (1 + w) of Gemma's norms is already folded into the GGUF's norm weights.</summary>
internal static class GemmaArchitecture
{
    private const float SlidingRopeBase = 10000f;

    public static DecoderDefinition Build(WeightBinder w, ModelHyperparameters hp)
    {
        bool gemma2 = hp.Architecture == "gemma2";
        int pattern = gemma2 ? 2 : 6;
        int window = gemma2 && hp.SlidingWindow == 0 ? 4096 : hp.SlidingWindow;
        float attnSoftcap = gemma2 ? Key(w, hp, "attn_logit_softcapping", 50f) : 0f;
        float finalSoftcap = gemma2 ? Key(w, hp, "final_logit_softcapping", 30f) : 0f;
        // The 27B models scale queries by 1/√(d / heads) instead of 1/√head_dim (llama.cpp keys this on the layer count).
        bool large = hp.LayerCount == (gemma2 ? 46 : 62);
        float scale = 1f / MathF.Sqrt(large ? hp.EmbeddingLength / (float)hp.HeadCount : hp.HeadDim);

        var global = hp.Rope(null);
        var sliding = gemma2 ? global : global with { FrequencyBase = SlidingRopeBase, FrequencyScale = 1f, Yarn = null, AttentionFactor = 1f };
        var layers = new DecoderLayer[hp.LayerCount];
        for (int i = 0; i < layers.Length; i++)
        {
            bool slides = window > 0 && i % pattern < pattern - 1;
            layers[i] = new DecoderLayer(
                w.Attention(i, hp, postNorm: "post_attention_norm.weight"),
                w.DenseFeedForward(i, hp, gelu: true, postNorm: "post_ffw_norm.weight"),
                slides ? sliding : global,
                DecoderDefinition.Attention(hp, slides ? window : 0, attnSoftcap, scale));
        }
        return DecoderDefinition.WithLayers(w, hp, layers) with
        {
            EmbeddingScale = MathF.Sqrt(hp.EmbeddingLength),
            FinalSoftcap = finalSoftcap,
        };
    }

    private static float Key(WeightBinder w, ModelHyperparameters hp, string key, float fallback) =>
        (float)(w.File.GetFloat($"{hp.Architecture}.{key}") ?? fallback);
}
