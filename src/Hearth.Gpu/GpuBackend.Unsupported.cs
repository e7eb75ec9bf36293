using Hearth.Core.Gguf;
using Hearth.Core.Tensors;

namespace Hearth.Gpu;

/// <summary>The ops the newer architectures (gemma2/3, phi3, MoE) and the encoders (bert, nomic-bert) added to the backend
/// interface, which the GPU backend does not run yet. Each refuses with a message that names the op and the way out,
/// so a model that needs one fails at its first forward pass instead of computing something else.</summary>
public sealed partial class GpuBackend
{
    private static NotSupportedException NotYet(string op, string usedBy) =>
        new($"the GPU backend does not run {op} yet (used by {usedBy}); serve this model with --device cpu");

    public Weight LoadWeightRows(GgufFile file, GgufTensorInfo tensor, long firstRow, int rowCount) =>
        throw NotYet("fused or per-expert weight slices", "phi3 and MoE models");

    public void LayerNorm(Tensor x, Weight weight, Weight? bias, float epsilon, Tensor y, int rows) =>
        throw NotYet("layer norm", "bert encoders");

    public void Gelu(Tensor x, Tensor y, int rows) => throw NotYet("GELU", "bert encoders");

    public void GeGlu(Tensor gate, Tensor up, Tensor y, int rows) => throw NotYet("GeGLU", "gemma models");

    public void SwiGluOai(Tensor gate, Tensor up, Tensor y, int rows, float alpha, float limit) =>
        throw NotYet("clamped SwiGLU", "gpt-oss");

    public void Scale(Tensor x, float factor, int rows) => throw NotYet("scaling", "gemma models");

    public void Softcap(Tensor x, float cap, int rows) => throw NotYet("softcapping", "gemma2");

    public void AddScaledRows(Tensor source, ReadOnlySpan<int> rowIndices, ReadOnlySpan<float> factors, Tensor destination) =>
        throw NotYet("row scatter-add", "MoE models and LoRA adapters");

    /// <summary>Attention and rope settings only the newer architectures use; refused rather than ignored.</summary>
    private static void RejectUnsupported(AttentionParameters attention)
    {
        if (attention.SlidingWindow > 0) throw NotYet("sliding-window attention", "gemma models");
        if (attention.Softcap > 0) throw NotYet("attention softcapping", "gemma2");
        if (attention.Sinks is not null) throw NotYet("attention sinks", "gpt-oss");
        if (attention.AlibiSlopes is not null) throw NotYet("ALiBi attention", "jina-bert-v2");
    }

    private static void RejectUnsupported(RopeParameters rope)
    {
        if (rope.Yarn is not null || rope.AttentionFactor != 1f) throw NotYet("YaRN rope scaling", "YaRN and LongRoPE models");
    }
}
