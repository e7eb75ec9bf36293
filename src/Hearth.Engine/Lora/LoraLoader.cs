using System.IO.Hashing;
using System.Text.RegularExpressions;
using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Engine.Models;

namespace Hearth.Engine.Lora;

/// <summary>Reads a llama.cpp LoRA adapter GGUF (what <c>convert_lora_to_gguf.py</c> writes: <c>general.type = adapter</c>,
/// <c>adapter.type = lora</c>, <c>adapter.lora.alpha</c>, tensors <c>&lt;base tensor&gt;.lora_a</c> with ne [n_in, r] and
/// <c>.lora_b</c> with ne [r, n_out]) and checks it against the base model's file: same architecture, every adapted
/// tensor present in the base with matching shapes, A and B of the same rank. Fused base matrices (Phi-3's attn_qkv
/// and gate-up ffn_up) are split by rows of B.</summary>
internal static partial class LoraLoader
{
    [GeneratedRegex(@"^blk\.(\d+)\.([a-z_]+)\.weight$")]
    private static partial Regex BlockTensor();

    public static LoraAdapter Load(GgufFile baseFile, ModelHyperparameters hp, IBackend backend, string path, string name)
    {
        if (!File.Exists(path)) throw new LoraException($"LoRA adapter file '{path}' does not exist");
        GgufFile file;
        try
        {
            file = GgufFile.Open(path);
        }
        catch (Exception e) when (e is GgufException or IOException or InvalidDataException or EndOfStreamException)
        {
            throw new LoraException($"'{path}' is not a GGUF file: {e.Message}");
        }
        var owned = new List<Weight>();
        try
        {
            var table = Bind(file, baseFile, hp, backend, owned, out float alpha);
            return new LoraAdapter(name, path, alpha, ContentIdentity(path), table, backend, [.. owned], file);
        }
        catch
        {
            foreach (var w in owned) backend.ReleaseWeight(w);
            file.Dispose();
            throw;
        }
    }

    /// <summary>The adapter's identity for prefix-cache keys: a hash of the file's bytes, not of its name, path or time,
    /// so every replica that loads the same adapter file seeds its hash chains alike (a router compares block hashes
    /// across replicas), and a file replaced under the same path is a new identity. XxHash3 reads a rank-16 adapter of
    /// a 1B model (tens of MB) in milliseconds.</summary>
    private static ulong ContentIdentity(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var hash = new XxHash3();
        hash.Append(stream);
        return hash.GetCurrentHashAsUInt64();
    }

    private static LoraWeights?[] Bind(GgufFile file, GgufFile baseFile, ModelHyperparameters hp, IBackend backend, List<Weight> owned, out float alpha)
    {
        string where = file.Path;
        if (file.GetString("general.type") is { } type && type != "adapter")
            throw new LoraException($"{where}: general.type is '{type}', not 'adapter' (is this a model rather than a LoRA adapter?)");
        if (file.GetString("adapter.type") is var adapterType && adapterType != "lora")
            throw new LoraException($"{where}: adapter.type is '{adapterType ?? "(missing)"}', expected 'lora'");
        string? arch = file.GetString("general.architecture");
        if (arch != hp.Architecture)
            throw new LoraException($"{where}: the adapter is for architecture '{arch ?? "(missing)"}' but the model is '{hp.Architecture}'");
        alpha = (float)(file.GetFloat("adapter.lora.alpha") ?? 0);

        var table = new LoraWeights?[hp.LayerCount * LoraAdapter.TargetCount];
        int pairs = 0;
        foreach (var a in file.Tensors)
        {
            if (a.Name.EndsWith(".lora_b", StringComparison.Ordinal)) continue;
            if (!a.Name.EndsWith(".lora_a", StringComparison.Ordinal))
                throw new LoraException($"{where}: tensor '{a.Name}' is neither a lora_a nor a lora_b tensor");
            string baseName = a.Name[..^".lora_a".Length];
            if (!file.TryGetTensor(baseName + ".lora_b", out var b))
                throw new LoraException($"{where}: '{a.Name}' has no matching '{baseName}.lora_b'");
            if (!baseFile.TryGetTensor(baseName, out var w))
                throw new LoraException($"{where}: the adapter changes '{baseName}', which the model does not have");
            if (w.Dimensions.Length != 2 || a.Dimensions.Length != 2 || b.Dimensions.Length != 2)
                throw new LoraException($"{where}: '{baseName}' and its lora_a/lora_b must be matrices");
            long nIn = w.Dimensions[0], nOut = w.Dimensions[1], rank = a.Dimensions[1];
            if (a.Dimensions[0] != nIn || b.Dimensions[1] != nOut)
                throw new LoraException($"{where}: '{baseName}' is [{nIn}, {nOut}] but lora_a is [{a.Dimensions[0]}, {a.Dimensions[1]}] and lora_b [{b.Dimensions[0]}, {b.Dimensions[1]}] (expected [{nIn}, r] and [r, {nOut}])");
            if (b.Dimensions[0] != rank || rank < 1)
                throw new LoraException($"{where}: '{baseName}': lora_a has rank {rank} but lora_b has {b.Dimensions[0]} (lora_a must be [n_in, r], lora_b [r, n_out])");
            float factor = alpha != 0 ? alpha / rank : 1f;
            var m = BlockTensor().Match(baseName);
            int layer = m.Success ? int.Parse(m.Groups[1].Value) : -1;
            if (layer < 0 || layer >= hp.LayerCount)
                throw new LoraException($"{where}: LoRA on '{baseName}' is not supported (only the attention and dense feed-forward matrices of the blocks)");
            var aw = Own(backend.LoadWeight(file, a), owned);
            foreach (var (target, first, rows) in Split(m.Groups[2].Value, baseName, baseFile, layer, hp, (int)nOut, where))
            {
                var bw = Own(first == 0 && rows == nOut ? backend.LoadWeight(file, b) : backend.LoadWeightRows(file, b, first, rows), owned);
                table[layer * LoraAdapter.TargetCount + (int)target] = new LoraWeights(aw, bw, (int)rank, factor);
            }
            pairs++;
        }
        if (pairs == 0) throw new LoraException($"{where}: the adapter has no lora_a/lora_b tensors");
        return table;
    }

    private static Weight Own(Weight w, List<Weight> owned)
    {
        owned.Add(w);
        return w;
    }

    /// <summary>Which decoder matrices a base tensor feeds, and the rows of its output (of B) each one takes.</summary>
    private static IEnumerable<(LoraTarget Target, long FirstRow, int Rows)> Split(string kind, string baseName, GgufFile baseFile, int layer,
        ModelHyperparameters hp, int nOut, string where)
    {
        int q = hp.HeadCount * hp.HeadDim, kv = hp.KvHeadCount * hp.HeadDim;
        bool fusedUp = kind == "ffn_up" && !baseFile.TryGetTensor($"blk.{layer}.ffn_gate.weight", out _);
        return kind switch
        {
            "attn_q" => [(LoraTarget.Q, 0, nOut)],
            "attn_k" => [(LoraTarget.K, 0, nOut)],
            "attn_v" => [(LoraTarget.V, 0, nOut)],
            "attn_output" => [(LoraTarget.AttentionOutput, 0, nOut)],
            "attn_qkv" => [(LoraTarget.Q, 0, q), (LoraTarget.K, q, kv), (LoraTarget.V, q + kv, kv)],
            "ffn_gate" => [(LoraTarget.Gate, 0, nOut)],
            "ffn_up" when fusedUp => [(LoraTarget.Gate, 0, nOut / 2), (LoraTarget.Up, nOut / 2, nOut / 2)],
            "ffn_up" => [(LoraTarget.Up, 0, nOut)],
            "ffn_down" => [(LoraTarget.Down, 0, nOut)],
            _ => throw new LoraException($"{where}: LoRA on '{baseName}' is not supported (attention q/k/v/output and dense ffn gate/up/down only)"),
        };
    }
}
