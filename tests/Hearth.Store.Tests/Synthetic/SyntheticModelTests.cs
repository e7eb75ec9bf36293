using System.Security.Cryptography;
using Hearth.Core.Gguf;
using Hearth.Core.Quants;
using Hearth.Store.Synthetic;
using Hearth.Tests;

namespace Hearth.Store.Tests.Synthetic;

public sealed class SyntheticModelTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "hearth-synth-" + Guid.NewGuid().ToString("N"));

    public SyntheticModelTests() => Directory.CreateDirectory(_dir);
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A minimal vocabulary GGUF (300 tokens) so these tests run without ../shared.</summary>
    private string TinyVocab()
    {
        string path = Path.Combine(_dir, "vocab.gguf");
        var w = new GgufWriter();
        w.SetString("general.architecture", "gpt2");
        w.SetString("tokenizer.ggml.model", "gpt2");
        w.SetArray("tokenizer.ggml.tokens", Enumerable.Range(0, 300).Select(i => $"t{i}").ToArray());
        w.SetArray("tokenizer.ggml.token_type", Enumerable.Repeat(1, 300).ToArray());
        w.SetUInt32("tokenizer.ggml.eos_token_id", 299);
        w.Write(path);
        return path;
    }

    [Theory]
    [InlineData(GgmlType.F16, GgmlType.F16, 1u)]
    [InlineData(GgmlType.Q8_0, GgmlType.Q8_0, 7u)]
    [InlineData(GgmlType.Q4_K, GgmlType.Q5_0, 14u)] // 64-wide rows cannot be Q4_K: llama.cpp's Q5_0 fallback
    public void TinyPresetHasLlamaShapesAndMetadata(GgmlType quant, GgmlType weightType, uint fileType)
    {
        string path = Path.Combine(_dir, $"tiny-{quant}.gguf");
        SyntheticModel.Write(path, "tiny-test", quant, TinyVocab());
        using var f = GgufFile.Open(path);
        Assert.Equal("llama", f.GetString("general.architecture"));
        Assert.Equal(fileType, (uint)f.GetInteger("general.file_type")!);
        Assert.Equal(64, f.GetInteger("llama.embedding_length"));
        Assert.Equal(2, f.GetInteger("llama.block_count"));
        Assert.Equal(128, f.GetInteger("llama.feed_forward_length"));
        Assert.Equal(4, f.GetInteger("llama.attention.head_count"));
        Assert.Equal(2, f.GetInteger("llama.attention.head_count_kv"));
        Assert.Equal(16, f.GetInteger("llama.rope.dimension_count"));
        Assert.Equal(2048, f.GetInteger("llama.context_length"));
        Assert.Equal(1e-5f, (float)f.GetFloat("llama.attention.layer_norm_rms_epsilon")!);
        Assert.Equal(10000f, (float)f.GetFloat("llama.rope.freq_base")!);
        Assert.Equal(300, f.GetArray<string>("tokenizer.ggml.tokens")!.Length);
        Assert.Equal(299, f.GetInteger("tokenizer.ggml.eos_token_id"));
        Assert.Equal("gpt2", f.GetString("tokenizer.ggml.model"));

        Assert.Equal(2 + 2 * 9 + 1, f.Tensors.Count);
        Assert.Equal(new long[] { 64, 300 }, f.GetTensor("token_embd.weight").Dimensions);
        Assert.Equal(new long[] { 64, 300 }, f.GetTensor("output.weight").Dimensions);
        Assert.Equal(new long[] { 64, 64 }, f.GetTensor("blk.1.attn_q.weight").Dimensions);
        Assert.Equal(new long[] { 64, 32 }, f.GetTensor("blk.1.attn_k.weight").Dimensions);
        Assert.Equal(new long[] { 64, 32 }, f.GetTensor("blk.0.attn_v.weight").Dimensions);
        Assert.Equal(new long[] { 64, 64 }, f.GetTensor("blk.0.attn_output.weight").Dimensions);
        Assert.Equal(new long[] { 64, 128 }, f.GetTensor("blk.0.ffn_gate.weight").Dimensions);
        Assert.Equal(new long[] { 64, 128 }, f.GetTensor("blk.0.ffn_up.weight").Dimensions);
        Assert.Equal(new long[] { 128, 64 }, f.GetTensor("blk.0.ffn_down.weight").Dimensions);
        foreach (var t in f.Tensors)
        {
            bool norm = t.Name.EndsWith("norm.weight", StringComparison.Ordinal);
            // Q4_K's embeddings and output are Q6_K, which falls back to Q8_0 on 64-wide rows.
            bool q6 = quant == GgmlType.Q4_K && t.Name is "token_embd.weight" or "output.weight";
            Assert.Equal(norm ? GgmlType.F32 : q6 ? GgmlType.Q8_0 : weightType, t.Type);
            float[] v = Dequantizer.DequantizeTensor(f, t);
            if (norm)
            {
                Assert.All(v, x => Assert.Equal(1f, x));
                continue;
            }
            double mean = v.Average(x => (double)x), std = Math.Sqrt(v.Average(x => (double)x * x) - mean * mean);
            Assert.InRange(std, 0.018, 0.022);
            Assert.InRange(Math.Abs(mean), 0, 0.003);
        }
    }

    /// <summary>Rows that are not a whole number of the requested type's blocks take llama.cpp's fallback type, and F16
    /// where that does not fit either; rows that fit keep the requested type (Q4_K's embeddings and output: Q6_K).</summary>
    [Theory]
    [InlineData(GgmlType.Q4_K, "blk.0.ffn_up.weight", 1152, GgmlType.Q5_0)]
    [InlineData(GgmlType.Q4_K, "blk.0.ffn_down.weight", 6912, GgmlType.Q4_K)]
    [InlineData(GgmlType.Q4_K, "token_embd.weight", 1152, GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_K, "output.weight", 2048, GgmlType.Q6_K)]
    [InlineData(GgmlType.Q5_K, "blk.0.attn_q.weight", 1152, GgmlType.Q5_1)]
    [InlineData(GgmlType.Q2_K, "blk.0.attn_q.weight", 1152, GgmlType.IQ4_NL)]
    [InlineData(GgmlType.Q3_K, "blk.0.attn_q.weight", 64, GgmlType.IQ4_NL)]
    [InlineData(GgmlType.IQ4_XS, "blk.0.attn_q.weight", 1152, GgmlType.IQ4_NL)]
    [InlineData(GgmlType.Q4_K, "blk.0.attn_q.weight", 48, GgmlType.F16)]
    [InlineData(GgmlType.Q8_0, "blk.0.attn_q.weight", 48, GgmlType.F16)]
    [InlineData(GgmlType.Q8_0, "blk.0.attn_q.weight", 1152, GgmlType.Q8_0)]
    public void RowsThatDoNotFitTakeLlamaCppsFallback(GgmlType quant, string name, long rowLength, GgmlType expected) =>
        Assert.Equal(expected, SyntheticTensorPlan.WeightType(quant, name, rowLength));

    /// <summary>Q4_K_M as llama-quantize writes it for a 16-layer model: attn_v and ffn_down in Q6_K on layers 0, 1, 4, 7,
    /// 10, 13, 14 and 15 (the first and last eighth, every third between), Q4_K elsewhere; Q4_K_S keeps them Q4_K.</summary>
    [Fact]
    public void TheMediumMixGivesAttnVAndFfnDownMoreBitsOnLlamaCppsLayers()
    {
        int[] more = [0, 1, 4, 7, 10, 13, 14, 15];
        for (int layer = 0; layer < 16; layer++)
        {
            Assert.Equal(more.Contains(layer), SyntheticTensorPlan.UsesMoreBits(layer, 16));
            var expected = more.Contains(layer) ? GgmlType.Q6_K : GgmlType.Q4_K;
            Assert.Equal(expected, SyntheticTensorPlan.WeightType(GgmlType.Q4_K, $"blk.{layer}.attn_v.weight", 2048, mediumLayers: 16));
            Assert.Equal(expected, SyntheticTensorPlan.WeightType(GgmlType.Q4_K, $"blk.{layer}.ffn_down.weight", 8192, mediumLayers: 16));
            Assert.Equal(GgmlType.Q4_K, SyntheticTensorPlan.WeightType(GgmlType.Q4_K, $"blk.{layer}.attn_q.weight", 2048, mediumLayers: 16));
            Assert.Equal(GgmlType.Q4_K, SyntheticTensorPlan.WeightType(GgmlType.Q4_K, $"blk.{layer}.ffn_down.weight", 8192));
        }
        // Other types ignore the mix; rows that do not fit Q6_K take its fallback.
        Assert.Equal(GgmlType.Q8_0, SyntheticTensorPlan.WeightType(GgmlType.Q8_0, "blk.0.attn_v.weight", 2048, mediumLayers: 16));
        Assert.Equal(GgmlType.Q8_0, SyntheticTensorPlan.WeightType(GgmlType.Q4_K, "blk.0.ffn_down.weight", 6912 + 64, mediumLayers: 16));
        // The names --quant takes.
        Assert.True(SyntheticModel.TryParseQuant("q4_k_m", out var quant, out bool medium) && quant == GgmlType.Q4_K && medium);
        Assert.True(SyntheticModel.TryParseQuant("Q4_K_S", out quant, out medium) && quant == GgmlType.Q4_K && !medium);
        Assert.True(SyntheticModel.TryParseQuant("Q8_0", out quant, out medium) && quant == GgmlType.Q8_0 && !medium);
        Assert.False(SyntheticModel.TryParseQuant("Q5_K_M", out _, out _));
        Assert.False(SyntheticModel.TryParseQuant("8", out _, out _));
        Assert.False(SyntheticModel.TryParseQuant("Q6_K", out _, out _));
    }

    [Fact]
    public void SameSeedSameBytesOtherSeedOtherWeights()
    {
        string vocab = TinyVocab();
        string a = Path.Combine(_dir, "a.gguf"), b = Path.Combine(_dir, "b.gguf"), c = Path.Combine(_dir, "c.gguf");
        SyntheticModel.Write(a, "tiny-test", GgmlType.Q8_0, vocab, seed: 5);
        SyntheticModel.Write(b, "tiny-test", GgmlType.Q8_0, vocab, seed: 5);
        SyntheticModel.Write(c, "tiny-test", GgmlType.Q8_0, vocab, seed: 6);
        Assert.Equal(SHA256.HashData(File.ReadAllBytes(a)), SHA256.HashData(File.ReadAllBytes(b)));
        using var fa = GgufFile.Open(a);
        using var fc = GgufFile.Open(c);
        var ta = fa.GetTensor("blk.0.attn_q.weight");
        Assert.False(fa.GetTensorBytes(ta).SequenceEqual(fc.GetTensorBytes(fc.GetTensor(ta.Name))));
        Assert.False(fa.GetTensorBytes(ta).SequenceEqual(fa.GetTensorBytes(fa.GetTensor("blk.1.attn_q.weight"))));
    }

    [Fact]
    public void BadArgumentsAreClearErrors()
    {
        string vocab = TinyVocab();
        Assert.Contains("unknown preset 'nope'", Assert.Throws<ArgumentException>(() => SyntheticModel.Write(Path.Combine(_dir, "x.gguf"), "nope", GgmlType.F16, vocab)).Message);
        Assert.Contains("Q6_K is not supported", Assert.Throws<ArgumentException>(() => SyntheticModel.Write(Path.Combine(_dir, "x.gguf"), "tiny-test", GgmlType.Q6_K, vocab)).Message);
        Assert.Throws<GgufException>(() => SyntheticModel.Write(Path.Combine(_dir, "x.gguf"), "tiny-test", GgmlType.F16, Path.Combine(_dir, "missing.gguf")));
        Assert.False(File.Exists(Path.Combine(_dir, "x.gguf")));
    }

    [SharedFact]
    public void RealVocabularyIsCopiedWhole()
    {
        string vocabPath = TestPaths.SharedFile("vocab", "ggml-vocab-gpt-2.gguf")!;
        string path = Path.Combine(_dir, "qwen.gguf");
        SyntheticModel.Write(path, "tiny-test", GgmlType.Q8_0, vocabPath);
        using var vocab = GgufFile.Open(vocabPath);
        using var f = GgufFile.Open(path);
        var keys = vocab.Metadata.Keys.Where(k => k.StartsWith("tokenizer.", StringComparison.Ordinal)).ToList();
        Assert.Equal(7, keys.Count); // model, pre, tokens, token_type, merges, bos, eos
        foreach (var key in keys)
        {
            GgufValue expected = vocab.Metadata[key], actual = f.Metadata[key];
            Assert.Equal((expected.Type, expected.ElementType), (actual.Type, actual.ElementType));
            if (expected.Value is Array arr)
                Assert.Equal(arr.Cast<object>(), ((Array)actual.Value).Cast<object>());
            else
                Assert.Equal(expected.Value, actual.Value);
        }
        Assert.Equal(50257, f.GetInteger("llama.vocab_size"));
        Assert.Equal(new long[] { 64, 50257 }, f.GetTensor("token_embd.weight").Dimensions);
    }

    [Fact]
    public void QwenPresetHasBiasesTiedEmbeddingsAndKQuants()
    {
        string path = Path.Combine(_dir, "qwen.gguf");
        SyntheticModel.Write(path, "tiny-test-qwen2", GgmlType.Q4_K, TinyVocab());
        using var f = GgufFile.Open(path);
        Assert.Equal("qwen2", f.GetString("general.architecture"));
        Assert.Equal(1e-6f, (float)f.GetFloat("qwen2.attention.layer_norm_rms_epsilon")!);
        Assert.Equal(1e6f, (float)f.GetFloat("qwen2.rope.freq_base")!);
        Assert.False(f.TryGetTensor("output.weight", out _));
        var embd = f.GetTensor("token_embd.weight");
        Assert.Equal(new long[] { 256, 300 }, embd.Dimensions);
        Assert.Equal(GgmlType.Q6_K, embd.Type);
        Assert.Equal(GgmlType.Q4_K, f.GetTensor("blk.0.attn_q.weight").Type);
        Assert.Equal(GgmlType.Q4_K, f.GetTensor("blk.1.ffn_down.weight").Type);
        Assert.Equal(new long[] { 128 }, f.GetTensor("blk.1.attn_k.bias").Dimensions);
        Assert.Equal(GgmlType.F32, f.GetTensor("blk.1.attn_v.bias").Type);
        Assert.Equal(2 + 2 * 12, f.Tensors.Count);
    }
    [Fact]
    public void MoePresetHasRouterExpertsAndSharedExpert()
    {
        string path = Path.Combine(_dir, "moe.gguf");
        SyntheticModel.Write(path, "tiny-qwen2moe", GgmlType.Q8_0, TinyVocab());
        using var f = GgufFile.Open(path);
        Assert.Equal("qwen2moe", f.GetString("general.architecture"));
        Assert.Equal(8, f.GetInteger("qwen2moe.expert_count"));
        Assert.Equal(2, f.GetInteger("qwen2moe.expert_used_count"));
        Assert.Equal(32, f.GetInteger("qwen2moe.expert_feed_forward_length"));
        Assert.Equal(64, f.GetInteger("qwen2moe.expert_shared_feed_forward_length"));
        var router = f.GetTensor("blk.1.ffn_gate_inp.weight");
        Assert.Equal(GgmlType.F32, router.Type);
        Assert.Equal(new long[] { 64, 8 }, router.Dimensions);
        Assert.Equal(new long[] { 64, 32, 8 }, f.GetTensor("blk.0.ffn_gate_exps.weight").Dimensions);
        Assert.Equal(new long[] { 64, 32, 8 }, f.GetTensor("blk.0.ffn_up_exps.weight").Dimensions);
        Assert.Equal(new long[] { 32, 64, 8 }, f.GetTensor("blk.0.ffn_down_exps.weight").Dimensions);
        Assert.Equal(new long[] { 64 }, f.GetTensor("blk.0.ffn_gate_inp_shexp.weight").Dimensions);
        Assert.Equal(new long[] { 64, 64 }, f.GetTensor("blk.0.ffn_gate_shexp.weight").Dimensions);
        Assert.False(f.TryGetTensor("blk.0.ffn_gate.weight", out _));
    }

    [Fact]
    public void VocabularyIsPaddedWithUnusedTokens()
    {
        string path = Path.Combine(_dir, "padded.gguf");
        var preset = SyntheticPreset.Get("tiny-gemma3") with { PadVocabTo = 320 };
        SyntheticModel.Write(path, preset, GgmlType.F16, TinyVocab());
        using var f = GgufFile.Open(path);
        var tokens = f.GetArray<string>("tokenizer.ggml.tokens")!;
        var types = f.GetArray<int>("tokenizer.ggml.token_type")!;
        Assert.Equal((320, 320), (tokens.Length, types.Length));
        Assert.Equal(("t299", "<unused_300>", "<unused_319>"), (tokens[299], tokens[300], tokens[319]));
        Assert.Equal((1, 5), (types[299], types[319]));
        Assert.Equal(320, f.GetInteger("gemma3.vocab_size"));
        Assert.Equal(new long[] { 64, 320 }, f.GetTensor("token_embd.weight").Dimensions);
        Assert.Equal(8, f.GetInteger("gemma3.attention.sliding_window"));
        Assert.True(f.TryGetTensor("blk.5.post_ffw_norm.weight", out _));
    }
}
