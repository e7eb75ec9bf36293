using Hearth.Core.Gguf;
using Hearth.Core.Tensors;

namespace Hearth.Engine.Models;

/// <summary>Binds named GGUF tensors to a backend with their expected shapes checked: whole matrices, row slices of
/// fused matrices, and the experts of 3-D expert tensors.</summary>
internal sealed class WeightBinder(GgufFile file, IBackend backend)
{
    public GgufFile File => file;

    public bool Has(string name) => file.TryGetTensor(name, out _);

    public Weight Get(string name, int rows, int cols) => Checked(name, backend.LoadWeight(file, file.GetTensor(name)), rows, cols);

    /// <summary>A table read only by embedding lookups, never multiplied (see <see cref="IBackend.LoadLookupTable"/>).</summary>
    public Weight Lookup(string name, int rows, int cols) => Checked(name, backend.LoadLookupTable(file, file.GetTensor(name)), rows, cols);

    private Weight Checked(string name, Weight w, int rows, int cols)
    {
        if (w.Rows * (long)w.Columns != rows * (long)cols || w.Columns != cols)
            throw new GgufException($"{file.Path}: tensor '{name}' is {w.Rows}×{w.Columns}, expected {rows}×{cols}");
        return w;
    }

    public Weight? Optional(string name, int rows, int cols) => Has(name) ? Get(name, rows, cols) : null;

    /// <summary>Rows [first, first + rows) of a matrix whose rows are <paramref name="cols"/> long.</summary>
    public Weight Rows(string name, long first, int rows, int cols)
    {
        var info = file.GetTensor(name);
        if (info.RowLength != cols || info.RowCount < first + rows)
            throw new GgufException($"{file.Path}: tensor '{name}' is {info.RowCount}×{info.RowLength}, too small for rows [{first}, +{rows}) of {cols}");
        return backend.LoadWeightRows(file, info, first, rows);
    }

    /// <summary>Each expert's <paramref name="rows"/>×<paramref name="cols"/> matrix of a 3-D tensor {cols, rows, experts}.</summary>
    public Weight[] Experts(string name, int experts, int rows, int cols)
    {
        var info = file.GetTensor(name);
        if (info.Dimensions.Length != 3 || info.Dimensions[0] != cols || info.Dimensions[1] != rows || info.Dimensions[2] != experts)
            throw new GgufException($"{file.Path}: tensor '{name}' has dimensions [{string.Join(", ", info.Dimensions)}], expected [{cols}, {rows}, {experts}]");
        var result = new Weight[experts];
        if (backend is IConcurrentWeightLoading)
        {
            try
            {
                Parallel.For(0, experts, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
                    e => result[e] = backend.LoadWeightRows(file, info, (long)e * rows, rows));
            }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                // The loader's own error (an unsupported type names the tensor), not the parallel loop's wrapper.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
                throw;
            }
        }
        else
            for (int e = 0; e < experts; e++) result[e] = backend.LoadWeightRows(file, info, (long)e * rows, rows);
        return result;
    }

    /// <summary>The attention weights of block <paramref name="i"/> as llama.cpp names them; Q, K and V come from
    /// separate tensors or from rows of a fused <c>attn_qkv</c> (Phi-3).</summary>
    public AttentionBlock Attention(int i, ModelHyperparameters hp, string? postNorm = null)
    {
        string p = $"blk.{i}.";
        int d = hp.EmbeddingLength, qDim = hp.HeadCount * hp.HeadDim, kvDim = hp.KvHeadCount * hp.HeadDim;
        bool fused = Has(p + "attn_qkv.weight");
        return new AttentionBlock(
            Get(p + "attn_norm.weight", 1, d),
            fused ? Rows(p + "attn_qkv.weight", 0, qDim, d) : Get(p + "attn_q.weight", qDim, d),
            fused ? Rows(p + "attn_qkv.weight", qDim, kvDim, d) : Get(p + "attn_k.weight", kvDim, d),
            fused ? Rows(p + "attn_qkv.weight", qDim + kvDim, kvDim, d) : Get(p + "attn_v.weight", kvDim, d),
            Optional(p + "attn_q.bias", 1, qDim), Optional(p + "attn_k.bias", 1, kvDim), Optional(p + "attn_v.bias", 1, kvDim),
            Optional(p + "attn_q_norm.weight", 1, hp.HeadDim), Optional(p + "attn_k_norm.weight", 1, hp.HeadDim),
            Get(p + "attn_output.weight", d, qDim),
            postNorm is null ? null : Get(p + postNorm, 1, d));
    }

    /// <summary>A gated dense FFN of block <paramref name="i"/>; gate and up come from separate tensors or from the two
    /// halves of a fused <c>ffn_up</c> (Phi-3: gate rows first).</summary>
    public FeedForwardBlock DenseFeedForward(int i, ModelHyperparameters hp, bool gelu, string? postNorm = null)
    {
        string p = $"blk.{i}.";
        int d = hp.EmbeddingLength, f = hp.FeedForwardLength;
        bool fused = !Has(p + "ffn_gate.weight");
        return new FeedForwardBlock(
            Get(p + "ffn_norm.weight", 1, d),
            fused ? Rows(p + "ffn_up.weight", 0, f, d) : Get(p + "ffn_gate.weight", f, d),
            fused ? Rows(p + "ffn_up.weight", f, f, d) : Get(p + "ffn_up.weight", f, d),
            Get(p + "ffn_down.weight", d, f), gelu, null,
            postNorm is null ? null : Get(p + postNorm, 1, d));
    }

    /// <summary>The routed experts of block <paramref name="i"/> (3-D <c>ffn_*_exps</c> tensors) and its shared expert if any.</summary>
    public FeedForwardBlock ExpertFeedForward(int i, ModelHyperparameters hp, bool normalizeWeights, string normName = "ffn_norm.weight")
    {
        string p = $"blk.{i}.";
        int d = hp.EmbeddingLength, n = hp.ExpertCount;
        int f = hp.ExpertFeedForwardLength > 0 ? hp.ExpertFeedForwardLength : hp.FeedForwardLength;
        int fs = hp.SharedExpertFeedForwardLength > 0 ? hp.SharedExpertFeedForwardLength : f;
        if (hp.ExpertUsedCount < 1 || hp.ExpertUsedCount > n)
            throw new GgufException($"{file.Path}: {hp.ExpertUsedCount} experts used of {n}");
        bool shared = Has(p + "ffn_gate_shexp.weight");
        var experts = new ExpertWeights(
            Get(p + "ffn_gate_inp.weight", n, d),
            Experts(p + "ffn_gate_exps.weight", n, f, d), Experts(p + "ffn_up_exps.weight", n, f, d),
            Experts(p + "ffn_down_exps.weight", n, d, f), hp.ExpertUsedCount, normalizeWeights,
            shared ? Get(p + "ffn_gate_shexp.weight", fs, d) : null, shared ? Get(p + "ffn_up_shexp.weight", fs, d) : null,
            shared ? Get(p + "ffn_down_shexp.weight", d, fs) : null, Optional(p + "ffn_gate_inp_shexp.weight", 1, d));
        return new FeedForwardBlock(Get(p + normName, 1, d), null, null, null, false, experts, null);
    }

    /// <summary>Each expert's bias row of a 2-D tensor {length, experts}.</summary>
    public Weight[] ExpertBiases(string name, int experts, int length)
    {
        var info = file.GetTensor(name);
        if (info.Dimensions.Length != 2 || info.Dimensions[0] != length || info.Dimensions[1] != experts || info.Type != GgmlType.F32)
            throw new GgufException($"{file.Path}: tensor '{name}' is {info.Type} [{string.Join(", ", info.Dimensions)}], expected F32 [{length}, {experts}]");
        var result = new Weight[experts];
        for (int e = 0; e < experts; e++) result[e] = backend.LoadWeightRows(file, info, e, 1);
        return result;
    }
}
