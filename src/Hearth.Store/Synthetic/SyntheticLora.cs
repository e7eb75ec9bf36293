using Hearth.Core.Gguf;
using Hearth.Core.Quants;
using Hearth.Engine;

namespace Hearth.Store.Synthetic;

/// <summary>Writes random LoRA adapters for a base GGUF in llama.cpp's adapter layout (<c>general.type = adapter</c>,
/// <c>adapter.type = lora</c>, <c>adapter.lora.alpha</c>, <c>&lt;base&gt;.lora_a</c> ne [n_in, r] and <c>.lora_b</c>
/// ne [r, n_out]), for correctness tests against llama.cpp and for multi-adapter benchmarks. A is uniform with
/// standard deviation 1/√n_in (so A·x keeps the scale of x) and B with <see cref="Options.BStd"/>; unlike a trained
/// adapter's zero-initialised B, both are random so the adapter visibly changes the output. Deterministic for a seed.</summary>
public static class SyntheticLora
{
    /// <summary>The matrices a synthetic adapter can target, by their short names (attention q/k/v/o, MLP gate/up/down)
    /// and the llama.cpp tensor each one names.</summary>
    public static IReadOnlyDictionary<string, string> Targets { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["q"] = "attn_q", ["k"] = "attn_k", ["v"] = "attn_v", ["o"] = "attn_output",
        ["gate"] = "ffn_gate", ["up"] = "ffn_up", ["down"] = "ffn_down",
    };

    /// <param name="Rank">r, the inner dimension of A and B.</param>
    /// <param name="Alpha">adapter.lora.alpha (0: the runtime scale alone).</param>
    /// <param name="TargetNames">Keys of <see cref="Targets"/>.</param>
    /// <param name="Type">F32 or F16 (what convert_lora_to_gguf.py writes).</param>
    public sealed record Options(int Rank, float Alpha, IReadOnlyList<string> TargetNames, GgmlType Type = GgmlType.F32, int Seed = 1, float BStd = 0.05f);

    /// <summary>Writes an adapter for the model in <paramref name="baseGgufPath"/>; returns how many matrices it adapts.</summary>
    public static int Write(string outputPath, string baseGgufPath, Options o)
    {
        if (o.Rank < 1) throw new ArgumentException($"rank must be at least 1 (got {o.Rank})");
        if (!float.IsFinite(o.Alpha)) throw new ArgumentException("alpha must be a finite number");
        if (o.Type is not (GgmlType.F32 or GgmlType.F16)) throw new ArgumentException($"adapter type {o.Type} is not supported (use F32 or F16)");
        if (o.TargetNames.Count == 0) throw new ArgumentException("no target matrices given");
        var kinds = o.TargetNames.Select(t => Targets.TryGetValue(t, out var k) ? k
            : throw new ArgumentException($"unknown target '{t}' (use {string.Join(", ", Targets.Keys)})")).ToHashSet();
        if (kinds.Overlaps(["attn_q", "attn_k", "attn_v"])) kinds.Add("attn_qkv"); // Phi-3's fused QKV matrix
        using var model = GgufFile.Open(baseGgufPath);
        string arch = model.GetString("general.architecture") ?? throw new GgufException($"{baseGgufPath}: no general.architecture");
        if (model.GetString("general.type") == "adapter") throw new ArgumentException($"{baseGgufPath} is an adapter, not a model");

        var w = new GgufWriter();
        w.SetString("general.architecture", arch);
        w.SetString("general.type", "adapter");
        w.SetString("general.name", $"synthetic LoRA r{o.Rank} alpha {o.Alpha} ({string.Join(",", o.TargetNames)}; seed {o.Seed})");
        w.SetString("adapter.type", "lora");
        w.SetFloat32("adapter.lora.alpha", o.Alpha);
        int count = 0;
        foreach (var t in model.Tensors)
        {
            var parts = t.Name.Split('.');
            if (parts.Length != 4 || parts[0] != "blk" || parts[3] != "weight" || !kinds.Contains(parts[2]) || t.Dimensions.Length != 2) continue;
            long nIn = t.Dimensions[0], nOut = t.Dimensions[1];
            Add(w, t.Name + ".lora_a", [nIn, o.Rank], o, 1f / MathF.Sqrt(nIn));
            Add(w, t.Name + ".lora_b", [o.Rank, nOut], o, o.BStd);
            count++;
        }
        if (count == 0) throw new ArgumentException($"{baseGgufPath} has none of the target matrices {string.Join(", ", kinds)}");
        w.Write(outputPath);
        return count;
    }

    private static void Add(GgufWriter w, string name, long[] dims, Options o, float std)
    {
        int rowLength = (int)dims[0];
        long rows = dims[1];
        ulong seed = SyntheticWeights.Hash(name) ^ ((ulong)(uint)o.Seed * 0x9E3779B97F4A7C15UL);
        w.AddTensor(name, o.Type, dims, (stream, _) =>
        {
            var row = new float[rowLength];
            var bytes = new byte[GgmlTypeInfo.RowBytes(o.Type, rowLength)];
            for (long r = 0; r < rows; r++)
            {
                SyntheticWeights.FillUniform(new Xoshiro256(seed + (ulong)r * 0xD1B54A32D192ED03UL), row, std);
                Quantizer.Quantize(o.Type, row, bytes);
                stream.Write(bytes);
            }
        });
    }
}
