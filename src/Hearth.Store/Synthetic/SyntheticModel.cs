using Hearth.Core.Gguf;
using Hearth.Core.Quants;
using Hearth.Engine;

namespace Hearth.Store.Synthetic;

/// <summary>Writes random-weight GGUF models with real architectures' shapes and a real vocabulary, for
/// benchmarks and tests. Weights are uniform with standard deviation 0.02, norm gains 1; generation is
/// deterministic for a seed (independent of thread count) and streams to disk (memory use stays ~100 MB).</summary>
public static class SyntheticModel
{
    private const int BatchBytes = 32 << 20;

    /// <summary>Quantization types a synthetic model can be written in.</summary>
    public static IReadOnlyList<GgmlType> SupportedQuants { get; } =
    [
        GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q4_1, GgmlType.Q5_1,
        GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q5_K, GgmlType.IQ4_NL, GgmlType.IQ4_XS, GgmlType.MXFP4,
    ];

    /// <summary>The names --quant takes: every supported type, and Q4_K_S / Q4_K_M for llama.cpp's two Q4_K mixes (Q4_K alone
    /// is Q4_K_S: Q6_K embeddings and output; Q4_K_M also gives attn_v and ffn_down Q6_K on the layers
    /// <see cref="SyntheticTensorPlan.UsesMoreBits"/> picks, as llama-quantize does).</summary>
    public static string QuantNames => string.Join(", ", SupportedQuants.Select(q => q.ToString()).Append("Q4_K_S").Append("Q4_K_M"));

    /// <summary>A --quant name (<see cref="QuantNames"/>, any case) as a type and whether it is the Q4_K_M mix.</summary>
    public static bool TryParseQuant(string name, out GgmlType quant, out bool medium)
    {
        medium = name.Equals("Q4_K_M", StringComparison.OrdinalIgnoreCase);
        if (medium || name.Equals("Q4_K_S", StringComparison.OrdinalIgnoreCase))
        {
            quant = GgmlType.Q4_K;
            return true;
        }
        return Enum.TryParse(name, ignoreCase: true, out quant) && !int.TryParse(name, out _) && SupportedQuants.Contains(quant);
    }

    /// <summary>Writes the model for <paramref name="preset"/> (a name in <see cref="SyntheticPreset.All"/>).</summary>
    public static void Write(string outputPath, string preset, GgmlType quant, string vocabGgufPath, int seed = 1) =>
        Write(outputPath, SyntheticPreset.Get(preset), quant, vocabGgufPath, seed);

    /// <param name="medium">Q4_K only: llama.cpp's Q4_K_M mix instead of Q4_K_S (<see cref="TryParseQuant"/>).</param>
    public static void Write(string outputPath, SyntheticPreset preset, GgmlType quant, string vocabGgufPath, int seed = 1, bool medium = false)
    {
        if (!SupportedQuants.Contains(quant))
            throw new ArgumentException($"quantization {quant} is not supported for synthetic models (use {string.Join(", ", SupportedQuants)})");
        if (medium && quant != GgmlType.Q4_K) throw new ArgumentException($"the _M mix is Q4_K's, not {quant}'s");
        using var vocab = GgufFile.Open(vocabGgufPath);
        string[] tokens = vocab.GetArray<string>("tokenizer.ggml.tokens")
            ?? throw new GgufException($"{vocabGgufPath}: no tokenizer.ggml.tokens array; not a vocabulary file");
        int vocabSize = Math.Max(tokens.Length + preset.ExtraControlTokens.Length, preset.PadVocabTo);

        var w = new GgufWriter();
        string a = preset.Architecture;
        w.SetString("general.architecture", a);
        w.SetString("general.name", $"synthetic {preset.Name} (random weights, seed {seed})");
        w.SetUInt32("general.file_type", medium ? 15u : FileType(quant)); // 15: MOSTLY_Q4_K_M
        w.SetUInt32($"{a}.context_length", (uint)preset.ContextLength);
        w.SetUInt32($"{a}.embedding_length", (uint)preset.EmbeddingLength);
        w.SetUInt32($"{a}.block_count", (uint)preset.BlockCount);
        w.SetUInt32($"{a}.feed_forward_length", (uint)preset.FeedForwardLength);
        w.SetUInt32($"{a}.attention.head_count", (uint)preset.HeadCount);
        w.SetUInt32($"{a}.attention.head_count_kv", (uint)preset.HeadCountKv);
        if (preset.IsEncoder)
        {
            w.SetFloat32($"{a}.attention.layer_norm_epsilon", preset.RmsEpsilon);
            w.SetBool($"{a}.attention.causal", false);
            w.SetUInt32("tokenizer.ggml.token_type_count", 2);
        }
        else w.SetFloat32($"{a}.attention.layer_norm_rms_epsilon", preset.RmsEpsilon);
        if (preset.Pooling is { } pooling) w.SetUInt32($"{a}.pooling_type", (uint)pooling);
        if (preset.Architecture is not ("bert" or "jina-bert-v2")) // learned positions or ALiBi: no rope
        {
            w.SetFloat32($"{a}.rope.freq_base", preset.RopeFreqBase);
            w.SetUInt32($"{a}.rope.dimension_count", (uint)preset.HeadDim);
        }
        if (preset.HeadDim * preset.HeadCount != preset.EmbeddingLength)
        {
            w.SetUInt32($"{a}.attention.key_length", (uint)preset.HeadDim);
            w.SetUInt32($"{a}.attention.value_length", (uint)preset.HeadDim);
        }
        w.SetUInt32($"{a}.vocab_size", (uint)vocabSize);
        SyntheticMetadata.WriteArchitectureKeys(w, preset);
        SyntheticMetadata.CopyVocabulary(w, vocab, tokens.Length, vocabSize, preset.ExtraControlTokens);

        foreach (var t in SyntheticTensorPlan.Build(preset, quant, vocabSize, medium))
        {
            ulong tensorSeed = SyntheticWeights.Hash(t.Name) ^ ((ulong)(uint)seed * 0x9E3779B97F4A7C15UL);
            w.AddTensor(t.Name, t.Type, t.Dimensions, (s, n) => WriteTensor(s, t, tensorSeed));
        }
        w.Write(outputPath);
    }

    /// <summary>llama.cpp's general.file_type (llama_ftype) for the quantization.</summary>
    private static uint FileType(GgmlType quant) => quant switch
    {
        GgmlType.F32 => 0,     // ALL_F32
        GgmlType.F16 => 1,     // MOSTLY_F16
        GgmlType.Q8_0 => 7,    // MOSTLY_Q8_0
        GgmlType.Q4_K => 14,   // MOSTLY_Q4_K_S: Q4_K with Q6_K embeddings/output
        GgmlType.Q4_0 => 2,
        GgmlType.Q4_1 => 3,
        GgmlType.Q5_0 => 8,
        GgmlType.Q5_1 => 9,
        GgmlType.Q2_K => 10,
        GgmlType.Q3_K => 11,   // MOSTLY_Q3_K_S
        GgmlType.Q5_K => 16,   // MOSTLY_Q5_K_S
        GgmlType.IQ4_NL => 25,
        GgmlType.IQ4_XS => 30,
        GgmlType.BF16 => 32,
        GgmlType.MXFP4 => 38,  // MOSTLY_MXFP4_MOE
        _ => throw new ArgumentException($"no llama.cpp file type for {quant}"),
    };

    /// <summary>Generates and quantizes rows in parallel, a bounded batch at a time, writing batches in order.</summary>
    private static void WriteTensor(Stream output, SyntheticTensor t, ulong tensorSeed)
    {
        int rowLength = checked((int)t.RowLength);
        int rowBytes = checked((int)GgmlTypeInfo.RowBytes(t.Type, rowLength));
        if (t.Ones || t.Values != null)
        {
            var values = t.Values ?? new float[rowLength];
            if (t.Ones) Array.Fill(values, 1f);
            var bytes = new byte[rowBytes];
            Quantizer.Quantize(t.Type, values, bytes);
            for (long r = 0; r < t.Rows; r++) output.Write(bytes);
            return;
        }
        int rowsPerBatch = (int)Math.Clamp(BatchBytes / rowBytes, 1, t.Rows);
        var buffer = new byte[(long)rowsPerBatch * rowBytes];
        int chunks = Math.Max(1, Environment.ProcessorCount * 4);
        for (long first = 0; first < t.Rows; first += rowsPerBatch)
        {
            int count = (int)Math.Min(rowsPerBatch, t.Rows - first);
            Parallel.For(0, Math.Min(chunks, count), () => new float[rowLength], (c, _, row) =>
            {
                for (int i = c * count / Math.Min(chunks, count); i < (c + 1) * count / Math.Min(chunks, count); i++)
                {
                    var rng = new Xoshiro256(tensorSeed + (ulong)(first + i) * 0xD1B54A32D192ED03UL);
                    SyntheticWeights.FillUniform(rng, row, t.Std);
                    Quantizer.Quantize(t.Type, row, buffer.AsSpan(i * rowBytes, rowBytes));
                }
                return row;
            }, _ => { });
            output.Write(buffer, 0, count * rowBytes);
        }
    }
}
