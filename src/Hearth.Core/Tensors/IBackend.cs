using Hearth.Core.Gguf;

namespace Hearth.Core.Tensors;

/// <summary>The compute backend a model is written against: a small op set over backend-owned F32
/// <see cref="Tensor"/>s and in-place GGUF <see cref="Weight"/>s. Every op works on the first
/// <c>rows</c> rows of its tensors. Models never name a concrete backend.</summary>
public interface IBackend : IDisposable
{
    /// <summary>Human-readable name ("cpu (2 threads, avx512)").</summary>
    string Name { get; }

    /// <summary>Allocates a zeroed F32 tensor.</summary>
    Tensor Allocate(int rows, int columns);

    /// <summary>Allocates a zeroed KV-cache tensor of <paramref name="rows"/> slots × <paramref name="columns"/> elements
    /// stored as <paramref name="type"/>; only <see cref="WriteKv"/>, <see cref="PagedAttention"/> and
    /// <see cref="CopyRows"/> take it. A backend without the type throws <see cref="NotSupportedException"/> naming it.</summary>
    Tensor AllocateKvCache(int rows, int columns, KvCacheType type) => type == KvCacheType.F32
        ? Allocate(rows, columns)
        : throw new NotSupportedException($"the {Name} backend has no {KvCacheTypes.Name(type)} KV cache (f32 only)");

    /// <summary>Makes a weight usable by this backend (the CPU reads the mapping in place).</summary>
    Weight LoadWeight(GgufFile file, GgufTensorInfo tensor);

    /// <summary>A table only ever read through <see cref="Embed"/> (an untied token embedding, position or token-type
    /// embeddings), never a <see cref="MatMul"/> operand: a backend that re-lays out matrices for its kernels can skip
    /// that here (the CPU backend reads such a table in place from the mapping).</summary>
    Weight LoadLookupTable(GgufFile file, GgufTensorInfo tensor) => LoadWeight(file, tensor);

    /// <summary>Rows [<paramref name="firstRow"/>, +<paramref name="rowCount"/>) of a tensor as one weight: a slice of
    /// a fused matrix (Phi-3's QKV, gate-up) or one expert of a 3-D expert tensor (rows of all experts follow each other).</summary>
    Weight LoadWeightRows(GgufFile file, GgufTensorInfo tensor, long firstRow, int rowCount);

    /// <summary>Frees a weight this backend made (LoadWeight/LoadWeightRows) before the backend itself is disposed: what
    /// unloading a LoRA adapter at run time needs. The weight must not be used again. Backends that own nothing per
    /// weight need not override this.</summary>
    void ReleaseWeight(Weight weight) { }

    /// <summary>Copies host rows into the tensor starting at row <paramref name="firstRow"/>.</summary>
    void Upload(ReadOnlySpan<float> source, Tensor destination, int firstRow);

    /// <summary>Copies <paramref name="rowCount"/> rows starting at <paramref name="firstRow"/> to the host.</summary>
    void Download(Tensor source, int firstRow, int rowCount, Span<float> destination);

    /// <summary>dst[i] = table row ids[i], dequantized to F32.</summary>
    void Embed(Weight table, ReadOnlySpan<int> ids, Tensor destination);

    /// <summary>y[t, n] = Σ_k x[t, k] · w[n, k] for t &lt; rows (x: rows × K, w: N × K, y: rows × N).
    /// Weights are read once for all rows.</summary>
    void MatMul(Tensor x, Weight w, Tensor y, int rows);

    /// <summary>y[t, :] += bias (an F32 weight of one row).</summary>
    void AddBias(Tensor y, Weight bias, int rows);

    /// <summary>RMS normalisation over groups of weight.Columns elements (a whole row, or one head when
    /// the weight is per head): y = x / sqrt(mean(x²) + eps) · w. x and y may be the same tensor.</summary>
    void RmsNorm(Tensor x, Weight weight, float epsilon, Tensor y, int rows);

    /// <summary>The residual add and the next RMS norm of a decoder layer in one op: x = x + delta, then
    /// y = RmsNorm(x) · weight over whole rows. A backend may fuse them (one pass over x instead of three); the result
    /// must equal <see cref="Add"/> followed by <see cref="RmsNorm"/>, which is what this default does.</summary>
    void AddRmsNorm(Tensor x, Tensor delta, Weight weight, float epsilon, Tensor y, int rows)
    {
        Add(x, delta, x, rows);
        RmsNorm(x, weight, epsilon, y, rows);
    }

    /// <summary>Layer normalisation of each row (BERT): y = (x − mean) / sqrt(var + eps) · w + b, with the bias optional.
    /// x and y may be the same tensor.</summary>
    void LayerNorm(Tensor x, Weight weight, Weight? bias, float epsilon, Tensor y, int rows);

    /// <summary>y = gelu(x), the tanh approximation (as ggml's CPU evaluates it, through an F16 table). y may alias x.</summary>
    void Gelu(Tensor x, Tensor y, int rows);

    /// <summary>Rotates, in place, each head of size <paramref name="headDim"/> of the first rows of x by its token's position.</summary>
    void Rope(Tensor x, int rows, int headDim, ReadOnlySpan<int> positions, RopeParameters rope);

    /// <summary>y = silu(gate) · up. y may alias gate.</summary>
    void SwiGlu(Tensor gate, Tensor up, Tensor y, int rows);

    /// <summary>gpt-oss's clamped SwiGLU (ggml's swiglu_oai): with g = min(gate, limit) and u = clamp(up, −limit, limit),
    /// y = g · sigmoid(alpha · g) · (u + 1). y may alias gate.</summary>
    void SwiGluOai(Tensor gate, Tensor up, Tensor y, int rows, float alpha, float limit);

    /// <summary>y = gelu(gate) · up with ggml's tanh approximation of gelu (GeGLU). y may alias gate.</summary>
    void GeGlu(Tensor gate, Tensor up, Tensor y, int rows);

    /// <summary>x *= factor, in place.</summary>
    void Scale(Tensor x, float factor, int rows);

    /// <summary>x = cap · tanh(x / cap), in place (Gemma 2's logit softcapping).</summary>
    void Softcap(Tensor x, float cap, int rows);

    /// <summary>destination row rowIndices[i] += factors[i] · source row i (mixture-of-experts outputs back to their tokens).</summary>
    void AddScaledRows(Tensor source, ReadOnlySpan<int> rowIndices, ReadOnlySpan<float> factors, Tensor destination);

    /// <summary>y = a + b. y may alias a or b.</summary>
    void Add(Tensor a, Tensor b, Tensor y, int rows);

    /// <summary>destination row i = source row rowIndices[i].</summary>
    void GatherRows(Tensor source, ReadOnlySpan<int> rowIndices, Tensor destination);

    /// <summary>Writes each token's K and V rows into the cache rows named by <paramref name="slots"/>.</summary>
    void WriteKv(Tensor k, Tensor v, Tensor kCache, Tensor vCache, ReadOnlySpan<int> slots, int rows);

    /// <summary>Causal paged attention: for each token and head, softmax(q·Kᵀ·scale) · V over the token's sequence
    /// positions 0..p (or the sliding window ending at p; with optional score softcapping and sink logits), read from the caches through the block tables (GQA: heads share KV heads in groups).</summary>
    void PagedAttention(Tensor q, Tensor kCache, Tensor vCache, Tensor output, AttentionParameters attention, int rows);

    /// <summary>Copies <paramref name="count"/> rows from <paramref name="sourceRow"/> to <paramref name="destinationRow"/> within one tensor.</summary>
    void CopyRows(Tensor tensor, int sourceRow, int destinationRow, int count);
}
