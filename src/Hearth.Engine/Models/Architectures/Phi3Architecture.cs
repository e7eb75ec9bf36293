namespace Hearth.Engine.Models.Architectures;

/// <summary>Phi-3, Phi-3.5 and Phi-4-mini: Llama-shaped blocks with a fused QKV matrix and a fused gate-up matrix
/// (gate rows first), NeoX rope with LongRoPE: per-pair frequency factors, the long set when the model runs beyond
/// its original context (as llama.cpp decides from the context size: here the model's context length), else the short
/// set, and the file's attention factor on cos/sin. llama.cpp runs Phi's sliding window as full attention; so do we.</summary>
internal static class Phi3Architecture
{
    public static DecoderDefinition Build(WeightBinder w, ModelHyperparameters hp)
    {
        int pairs = hp.RopeDimensions / 2;
        bool useLong = hp.RopeOriginalContext > 0 && hp.ContextLength > hp.RopeOriginalContext;
        var factors = w.Optional(useLong ? "rope_factors_long.weight" : "rope_factors_short.weight", 1, pairs);
        var rope = hp.Rope(factors);
        var layers = new DecoderLayer[hp.LayerCount];
        for (int i = 0; i < layers.Length; i++)
            layers[i] = new DecoderLayer(w.Attention(i, hp), w.DenseFeedForward(i, hp, gelu: false), rope, DecoderDefinition.Attention(hp));
        return DecoderDefinition.WithLayers(w, hp, layers);
    }
}
