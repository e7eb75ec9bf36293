namespace Hearth.Core.Tensors;

/// <summary>A backend whose tensors live in device memory and that can take the argmax of logit rows there, so a greedy
/// step copies back one token id per row instead of a vocabulary of floats. Optional: a model over a backend without it
/// copies the logits back and samples on the host.</summary>
public interface IDeviceGreedy
{
    /// <summary>indices[r] = the column of the largest value of row r of x, for r &lt; rows (the lowest column among
    /// equal maxima, as the host sampler's argmax).</summary>
    void ArgMax(Tensor x, int rows, Span<int> indices);
}
