namespace Hearth.Engine.Models.Architectures;

/// <summary>The Llama family: llama (and Mixtral-style MoE in it), mistral, smollm, qwen2, qwen3, qwen2moe and
/// qwen3moe. Pre-norm blocks with GQA attention (optional QKV bias, optional per-head Q/K norm), one rope for every
/// layer (frequency factors from <c>rope_freqs.weight</c>), and a SwiGLU FFN or routed experts where the block has a
/// router (<c>ffn_gate_inp</c>). Top-k weights are renormalised except in qwen2moe, whose shared expert is gated.</summary>
internal static class LlamaArchitecture
{
    public static DecoderDefinition Build(WeightBinder w, ModelHyperparameters hp)
    {
        var rope = hp.Rope(w.Optional("rope_freqs.weight", 1, hp.RopeDimensions / 2));
        bool normalize = hp.Architecture != "qwen2moe";
        var layers = new DecoderLayer[hp.LayerCount];
        for (int i = 0; i < layers.Length; i++)
        {
            var ffn = w.Has($"blk.{i}.ffn_gate_inp.weight")
                ? w.ExpertFeedForward(i, hp, normalize)
                : w.DenseFeedForward(i, hp, gelu: false);
            layers[i] = new DecoderLayer(w.Attention(i, hp), ffn, rope, DecoderDefinition.Attention(hp));
        }
        return DecoderDefinition.WithLayers(w, hp, layers);
    }
}
