using Hearth.Core.Tensors;
using Hearth.Gpu.Kernels;

namespace Hearth.Gpu;

/// <summary>The norms and activations the newer architectures (Gemma 2/3, gpt-oss) and the encoders (BERT, nomic-bert)
/// use: layer norm, GELU, GeGLU, the clamped SwiGLU, scaling and softcapping.</summary>
public sealed partial class GpuBackend
{
    public void LayerNorm(Tensor x, Weight weight, Weight? bias, float epsilon, Tensor y, int rows)
    {
        var gx = G(x); var gy = G(y); var w = W(weight);
        CheckRows(gx, rows); CheckRows(gy, rows);
        int n = gx.Columns;
        if (w.Format != WeightFormat.F32 || weight.Columns * weight.Rows != n || gy.Columns != n)
            throw new ArgumentException($"layer norm weight '{weight.Name}' ({weight.Type}, {weight.Columns * weight.Rows}) does not fit rows of {n}");
        GpuWeight? b = bias is null ? null : W(bias);
        if (b is not null && (b.Format != WeightFormat.F32 || b.Columns * b.Rows != n))
            throw new ArgumentException($"layer norm bias '{b.Name}' must be F32 of {n}");
        if (rows == 0) return;
        Bind();
        _k.LayerNorm(_k.Stream, _k.PerGroup(rows), gx.View, w.Floats, (b ?? w).Floats, b is null ? 0 : 1, n, epsilon, gy.View);
    }

    public void Gelu(Tensor x, Tensor y, int rows)
    {
        var gx = G(x); var gy = G(y);
        CheckRows(gx, rows); CheckRows(gy, rows);
        if (gx.Columns != gy.Columns) throw new ArgumentException("gelu: x and y widths differ");
        long count = (long)rows * gx.Columns;
        if (count == 0) return;
        Bind();
        _k.Gelu(_k.Stream, _k.Elements(count), gx.View, gy.View, count);
    }

    public void GeGlu(Tensor gate, Tensor up, Tensor y, int rows) => Binary(_k.GeGlu, gate, up, y, rows);

    public void SwiGluOai(Tensor gate, Tensor up, Tensor y, int rows, float alpha, float limit)
    {
        var g = G(gate); var u = G(up); var gy = G(y);
        CheckRows(g, rows); CheckRows(u, rows); CheckRows(gy, rows);
        if (g.Columns != u.Columns || g.Columns != gy.Columns) throw new ArgumentException("element-wise operands differ in width");
        long count = (long)rows * g.Columns;
        if (count == 0) return;
        Bind();
        _k.SwiGluOai(_k.Stream, _k.Elements(count), g.View, u.View, gy.View, alpha, limit, count);
    }

    public void Scale(Tensor x, float factor, int rows)
    {
        var gx = G(x);
        CheckRows(gx, rows);
        long count = (long)rows * gx.Columns;
        if (count == 0) return;
        Bind();
        _k.Scale(_k.Stream, _k.Elements(count), gx.View, factor, count);
    }

    public void Softcap(Tensor x, float cap, int rows)
    {
        var gx = G(x);
        CheckRows(gx, rows);
        if (!(cap > 0)) throw new ArgumentOutOfRangeException(nameof(cap), "softcap must be positive");
        long count = (long)rows * gx.Columns;
        if (count == 0) return;
        Bind();
        _k.Softcap(_k.Stream, _k.Elements(count), gx.View, 1f / cap, cap, count);
    }
}
