using Hearth.Core.Gguf;
using Hearth.Core.Tensors;

namespace Hearth.Engine.Tests.Embeddings;

/// <summary>A backend that hides its optional capabilities (<see cref="IEncoderAttention"/>, <see cref="IGroupedMatMul"/>):
/// every op goes to the wrapped backend, so encoders on it take the paged-attention fallback and MoE layers run one expert
/// at a time (what a backend without the capability runs).</summary>
internal sealed class PagedOnlyBackend(IBackend inner) : IBackend
{
    public string Name => inner.Name;
    public Tensor Allocate(int rows, int columns) => inner.Allocate(rows, columns);
    public Tensor AllocateKvCache(int rows, int columns, KvCacheType type) => inner.AllocateKvCache(rows, columns, type);
    public Weight LoadWeight(GgufFile file, GgufTensorInfo tensor) => inner.LoadWeight(file, tensor);
    public Weight LoadWeightRows(GgufFile file, GgufTensorInfo tensor, long firstRow, int rowCount) => inner.LoadWeightRows(file, tensor, firstRow, rowCount);
    public void Upload(ReadOnlySpan<float> source, Tensor destination, int firstRow) => inner.Upload(source, destination, firstRow);
    public void Download(Tensor source, int firstRow, int rowCount, Span<float> destination) => inner.Download(source, firstRow, rowCount, destination);
    public void Embed(Weight table, ReadOnlySpan<int> ids, Tensor destination) => inner.Embed(table, ids, destination);
    public void MatMul(Tensor x, Weight w, Tensor y, int rows) => inner.MatMul(x, w, y, rows);
    public void AddBias(Tensor y, Weight bias, int rows) => inner.AddBias(y, bias, rows);
    public void RmsNorm(Tensor x, Weight weight, float epsilon, Tensor y, int rows) => inner.RmsNorm(x, weight, epsilon, y, rows);
    public void LayerNorm(Tensor x, Weight weight, Weight? bias, float epsilon, Tensor y, int rows) => inner.LayerNorm(x, weight, bias, epsilon, y, rows);
    public void Gelu(Tensor x, Tensor y, int rows) => inner.Gelu(x, y, rows);
    public void Rope(Tensor x, int rows, int headDim, ReadOnlySpan<int> positions, RopeParameters rope) => inner.Rope(x, rows, headDim, positions, rope);
    public void SwiGlu(Tensor gate, Tensor up, Tensor y, int rows) => inner.SwiGlu(gate, up, y, rows);
    public void SwiGluOai(Tensor gate, Tensor up, Tensor y, int rows, float alpha, float limit) => inner.SwiGluOai(gate, up, y, rows, alpha, limit);
    public void GeGlu(Tensor gate, Tensor up, Tensor y, int rows) => inner.GeGlu(gate, up, y, rows);
    public void Scale(Tensor x, float factor, int rows) => inner.Scale(x, factor, rows);
    public void Softcap(Tensor x, float cap, int rows) => inner.Softcap(x, cap, rows);
    public void AddScaledRows(Tensor source, ReadOnlySpan<int> rowIndices, ReadOnlySpan<float> factors, Tensor destination) => inner.AddScaledRows(source, rowIndices, factors, destination);
    public void Add(Tensor a, Tensor b, Tensor y, int rows) => inner.Add(a, b, y, rows);
    public void GatherRows(Tensor source, ReadOnlySpan<int> rowIndices, Tensor destination) => inner.GatherRows(source, rowIndices, destination);
    public void WriteKv(Tensor k, Tensor v, Tensor kCache, Tensor vCache, ReadOnlySpan<int> slots, int rows) => inner.WriteKv(k, v, kCache, vCache, slots, rows);
    public void PagedAttention(Tensor q, Tensor kCache, Tensor vCache, Tensor output, AttentionParameters attention, int rows) => inner.PagedAttention(q, kCache, vCache, output, attention, rows);
    public void CopyRows(Tensor tensor, int sourceRow, int destinationRow, int count) => inner.CopyRows(tensor, sourceRow, destinationRow, count);
    public void Dispose() => inner.Dispose();
}
