using Hearth.Core.Gguf;
using Hearth.Core.Quants;

namespace Hearth.Engine.Tests.Models;

/// <summary>The oracle: a deliberately plain, single-file Llama-family forward pass in the style of llama2.c.
/// Every weight is dequantized to F32 with Core's exact dequantizer, activations stay F32 (sums in double), the KV
/// cache is a contiguous array, and one token is processed at a time. No SIMD, no batching, no paging.</summary>
internal sealed class ScalarReferenceForward
{
    private readonly int _dim, _layers, _heads, _kvHeads, _headDim, _hidden, _vocab, _ropeDims;
    private readonly float _eps, _base, _freqScale;
    private readonly bool _neox;
    private readonly float[] _embd, _outNorm, _out;
    private readonly float[]? _ropeFactors;
    private readonly Layer[] _blk;
    private readonly List<float[]>[] _keys, _values;

    private sealed record Layer(float[] AttnNorm, float[] Wq, float[] Wk, float[] Wv, float[]? Bq, float[]? Bk, float[]? Bv,
        float[]? QNorm, float[]? KNorm, float[] Wo, float[] FfnNorm, float[] W1, float[] W3, float[] W2);

    public ScalarReferenceForward(GgufFile f)
    {
        string arch = f.GetString("general.architecture")!;
        long I(string k, long? d = null) => f.GetInteger($"{arch}.{k}") ?? d ?? throw new InvalidOperationException(k);
        _dim = (int)I("embedding_length");
        _layers = (int)I("block_count");
        _heads = (int)I("attention.head_count");
        _kvHeads = (int)I("attention.head_count_kv", _heads);
        _headDim = (int)I("attention.key_length", _dim / _heads);
        _hidden = (int)I("feed_forward_length");
        _ropeDims = (int)I("rope.dimension_count", _headDim);
        _eps = (float)(f.GetFloat($"{arch}.attention.layer_norm_rms_epsilon") ?? 1e-5);
        _base = (float)(f.GetFloat($"{arch}.rope.freq_base") ?? 10000);
        double? factor = f.GetFloat($"{arch}.rope.scaling.factor");
        _freqScale = factor is > 0 ? (float)(1 / factor.Value) : 1f;
        _neox = arch is "qwen2" or "qwen3";
        float[] T(string name) => Dequantizer.DequantizeTensor(f, f.GetTensor(name));
        float[]? O(string name) => f.TryGetTensor(name, out var t) ? Dequantizer.DequantizeTensor(f, t) : null;
        _embd = T("token_embd.weight");
        _vocab = _embd.Length / _dim;
        _outNorm = T("output_norm.weight");
        _out = O("output.weight") ?? _embd;
        _ropeFactors = O("rope_freqs.weight");
        _blk = new Layer[_layers];
        for (int l = 0; l < _layers; l++)
        {
            string p = $"blk.{l}.";
            _blk[l] = new Layer(T(p + "attn_norm.weight"), T(p + "attn_q.weight"), T(p + "attn_k.weight"), T(p + "attn_v.weight"),
                O(p + "attn_q.bias"), O(p + "attn_k.bias"), O(p + "attn_v.bias"), O(p + "attn_q_norm.weight"), O(p + "attn_k_norm.weight"),
                T(p + "attn_output.weight"), T(p + "ffn_norm.weight"), T(p + "ffn_gate.weight"), T(p + "ffn_up.weight"), T(p + "ffn_down.weight"));
        }
        _keys = Enumerable.Range(0, _layers).Select(_ => new List<float[]>()).ToArray();
        _values = Enumerable.Range(0, _layers).Select(_ => new List<float[]>()).ToArray();
    }

    /// <summary>Feeds one token at the next position and returns the logits.</summary>
    public float[] Step(int token)
    {
        int pos = _keys[0].Count;
        var x = _embd.AsSpan(token * _dim, _dim).ToArray();
        for (int l = 0; l < _layers; l++)
        {
            var L = _blk[l];
            var xn = RmsNorm(x, L.AttnNorm);
            var q = MatVec(L.Wq, xn, _heads * _headDim, L.Bq);
            var k = MatVec(L.Wk, xn, _kvHeads * _headDim, L.Bk);
            var v = MatVec(L.Wv, xn, _kvHeads * _headDim, L.Bv);
            if (L.QNorm != null) for (int h = 0; h < _heads; h++) RmsNormInPlace(q, h * _headDim, L.QNorm);
            if (L.KNorm != null) for (int h = 0; h < _kvHeads; h++) RmsNormInPlace(k, h * _headDim, L.KNorm);
            Rope(q, _heads, pos);
            Rope(k, _kvHeads, pos);
            _keys[l].Add(k);
            _values[l].Add(v);
            var att = new float[_heads * _headDim];
            for (int h = 0; h < _heads; h++)
            {
                int kvh = h / (_heads / _kvHeads);
                var scores = new double[pos + 1];
                for (int p = 0; p <= pos; p++)
                {
                    double s = 0;
                    for (int i = 0; i < _headDim; i++) s += (double)q[h * _headDim + i] * _keys[l][p][kvh * _headDim + i];
                    scores[p] = s / Math.Sqrt(_headDim);
                }
                double max = scores.Max(), sum = scores.Sum(s => Math.Exp(s - max));
                for (int i = 0; i < _headDim; i++)
                {
                    double acc = 0;
                    for (int p = 0; p <= pos; p++) acc += Math.Exp(scores[p] - max) / sum * _values[l][p][kvh * _headDim + i];
                    att[h * _headDim + i] = (float)acc;
                }
            }
            var o = MatVec(L.Wo, att, _dim, null);
            for (int i = 0; i < _dim; i++) x[i] += o[i];
            xn = RmsNorm(x, L.FfnNorm);
            var g = MatVec(L.W1, xn, _hidden, null);
            var u = MatVec(L.W3, xn, _hidden, null);
            for (int i = 0; i < _hidden; i++) g[i] = (float)(g[i] / (1 + Math.Exp(-g[i])) * u[i]);
            var d = MatVec(L.W2, g, _dim, null);
            for (int i = 0; i < _dim; i++) x[i] += d[i];
        }
        return MatVec(_out, RmsNorm(x, _outNorm), _vocab, null);
    }

    private float[] RmsNorm(float[] x, float[] w)
    {
        var y = (float[])x.Clone();
        RmsNormInPlace(y, 0, w);
        return y;
    }

    private void RmsNormInPlace(float[] x, int offset, float[] w)
    {
        int n = w.Length;
        double ss = 0;
        for (int i = 0; i < n; i++) ss += (double)x[offset + i] * x[offset + i];
        double scale = 1 / Math.Sqrt(ss / n + _eps);
        for (int i = 0; i < n; i++) x[offset + i] = (float)(x[offset + i] * scale * w[i]);
    }

    private static float[] MatVec(float[] w, float[] x, int rows, float[]? bias)
    {
        var y = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            double s = 0;
            for (int i = 0; i < x.Length; i++) s += (double)w[r * x.Length + i] * x[i];
            y[r] = (float)(s + (bias?[r] ?? 0));
        }
        return y;
    }

    private void Rope(float[] v, int heads, int pos)
    {
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < _ropeDims / 2; i++)
            {
                double theta = _freqScale * pos * Math.Pow(_base, -2.0 * i / _ropeDims) / (_ropeFactors?[i] ?? 1);
                int a = h * _headDim + (_neox ? i : 2 * i), b = h * _headDim + (_neox ? i + _ropeDims / 2 : 2 * i + 1);
                float x0 = v[a], x1 = v[b];
                v[a] = (float)(x0 * Math.Cos(theta) - x1 * Math.Sin(theta));
                v[b] = (float)(x0 * Math.Sin(theta) + x1 * Math.Cos(theta));
            }
    }
}
