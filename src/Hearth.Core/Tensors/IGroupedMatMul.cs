namespace Hearth.Core.Tensors;

/// <summary>One product of <see cref="IGroupedMatMul.MatMuls"/>: y rows [<see cref="FirstRow"/>, +<see cref="Rows"/>) =
/// x rows [<see cref="FirstRow"/>, +<see cref="Rows"/>) · <see cref="Weight"/>ᵀ, plus <see cref="Bias"/> (an F32 row) when set.</summary>
public readonly record struct MatMulPart(Tensor X, Weight Weight, Tensor Y, int FirstRow, int Rows, Weight? Bias = null);

/// <summary>Optional backend capability: many small matmuls in one parallel pass. A mixture-of-experts layer at decode
/// is a dozen products of a few rows each (gate and up of every selected expert, then their downs); run one by one,
/// each pays a fork-join of the thread pool and leaves threads idle at its tail. Parts that read the same activation
/// rows with weights of the same layout quantize them once. The results must equal <see cref="IBackend.MatMul"/> and
/// <see cref="IBackend.AddBias"/> on each part; parts may share X but never write rows another part reads.</summary>
public interface IGroupedMatMul
{
    void MatMuls(ReadOnlySpan<MatMulPart> parts);
}
