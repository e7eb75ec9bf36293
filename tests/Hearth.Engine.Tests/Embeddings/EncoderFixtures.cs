using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Hearth.Engine.Models;
using Hearth.Store.Synthetic;
using Hearth.Tests;

namespace Hearth.Engine.Tests.Embeddings;

/// <summary>The tiny synthetic encoders of tests/fixtures/embeddings (made by tools/embeddings/make-fixtures.sh),
/// rebuilt once per test run from their presets with the committed BGE vocabulary, and llama.cpp's outputs for them.</summary>
public static class EncoderFixtures
{
    /// <summary>Largest allowed |hearth − llama.cpp| of one component of the L2-normalised vectors (random weights,
    /// F32; what remains is summation order in matmuls and attention).</summary>
    public const float Tolerance = 1e-4f;

    /// <summary>Fixture name → (preset, pooling override).</summary>
    public static readonly IReadOnlyDictionary<string, (string Preset, PoolingType? Pooling)> Models = new Dictionary<string, (string, PoolingType?)>
    {
        ["tiny-bert"] = ("tiny-bert", null),
        ["tiny-bert-mean"] = ("tiny-bert", PoolingType.Mean),
        ["tiny-bert-last"] = ("tiny-bert", PoolingType.Last),
        ["tiny-nomic-bert"] = ("tiny-nomic-bert", null),
        ["tiny-nomic-bert-cls"] = ("tiny-nomic-bert", PoolingType.Cls),
        ["tiny-bert-rerank"] = ("tiny-bert-rerank", null),
        ["tiny-qwen3-embed"] = ("tiny-qwen3-embed", null),
        ["tiny-jina-bert-v2"] = ("tiny-jina-bert-v2", null),
        ["tiny-qwen3-reranker"] = ("tiny-qwen3-reranker", null),
    };

    /// <summary>Whether a fixture model is a BERT-family encoder (else a decoder embedding model).</summary>
    public static bool IsEncoder(string name) => SyntheticPreset.Get(Models[name].Preset).IsEncoder;

    private static readonly ConcurrentDictionary<string, Lazy<string>> Built = new();
    private static readonly string Folder = MakeFolder();

    /// <summary>A folder of this test process's own, removed when the process exits.</summary>
    private static string MakeFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"hearth-encoders-{Environment.ProcessId}");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(folder, recursive: true); }
            catch (IOException) { } // still mapped by a model that was not disposed: the OS temp cleaner takes it
            catch (UnauthorizedAccessException) { }
        };
        return folder;
    }

    public static string VocabPath => Path.Combine(TestPaths.Fixtures, "vocab", "ggml-vocab-bert-bge.gguf");

    /// <summary>The GGUF of a fixture model (written on first use; its sha256 must be the one llama.cpp read).</summary>
    public static string ModelPath(string name) => Built.GetOrAdd(name, n => new Lazy<string>(() =>
    {
        var (presetName, pooling) = Models[n];
        var preset = SyntheticPreset.Get(presetName);
        if (pooling is { } p) preset = preset with { Pooling = p };
        Directory.CreateDirectory(Folder);
        string path = Path.Combine(Folder, n + ".gguf");
        SyntheticModel.Write(path, preset, Core.Gguf.GgmlType.F32, Path.Combine(TestPaths.Fixtures, "vocab", preset.DefaultVocab));
        using var stream = File.OpenRead(path);
        string sha = Convert.ToHexStringLower(SHA256.HashData(stream));
        string expected = Load(n, "embed").RootElement.GetProperty("model").GetProperty("sha256").GetString()!;
        if (sha != expected)
            throw new InvalidOperationException($"{n}: the synthetic model changed (sha256 {sha}, the fixture was made from {expected}); rerun tools/embeddings/make-fixtures.sh");
        return path;
    })).Value;

    /// <summary>A fixture JSON: <c>{name}.{kind}.json</c> (kind: embed or rank).</summary>
    public static JsonDocument Load(string name, string kind) =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TestPaths.Fixtures, "embeddings", $"{name}.{kind}.json")));

    /// <summary>The embed fixture's cases: text, llama.cpp's token ids and its (raw) vector.</summary>
    public static List<(string Text, int[] Ids, float[] Vector)> Cases(string name)
    {
        using var doc = Load(name, "embed");
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => (
            c.GetProperty("text").GetString()!,
            c.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
            c.GetProperty("vector").EnumerateArray().Select(x => x.GetSingle()).ToArray())).ToList();
    }

    /// <summary>Runs every fixture text of <paramref name="name"/> (empty ones skipped: llama.cpp embeds nothing for
    /// them) through <paramref name="model"/>: token ids equal llama.cpp's, a batch of all equals each alone (within
    /// <paramref name="batchedTolerance"/>; 0: bit for bit), and the normalised vectors are within <see cref="Tolerance"/>.</summary>
    public static void AssertMatchesLlamaCpp(string name, IEmbeddingModel model, Core.Tokenizers.ITokenizer tokenizer, float batchedTolerance = 0)
    {
        var cases = Cases(name).Where(c => c.Ids.Length > 0).ToList();
        var all = new List<int>();
        var lengths = new List<int>();
        foreach (var (text, ids, _) in cases)
        {
            Assert.Equal(ids, tokenizer.Encode(text, addSpecial: true, parseSpecial: false));
            all.AddRange(ids);
            lengths.Add(ids.Length);
        }
        int d = model.Shape.OutputLength;
        var batched = new float[cases.Count * d];
        model.Embed(all.ToArray(), lengths.ToArray(), batched);

        var alone = new float[d];
        float worst = 0;
        for (int i = 0; i < cases.Count; i++)
        {
            model.Embed(cases[i].Ids, [cases[i].Ids.Length], alone);
            var inBatch = batched.AsSpan(i * d, d).ToArray();
            if (batchedTolerance == 0) Assert.Equal(alone, inBatch);
            else for (int j = 0; j < d; j++) Assert.True(Math.Abs(alone[j] - inBatch[j]) <= batchedTolerance, $"{name} case {i}: batched differs from alone at {j}");
            var mine = Normalized(alone);
            var theirs = Normalized(cases[i].Vector);
            for (int j = 0; j < d; j++) worst = Math.Max(worst, Math.Abs(mine[j] - theirs[j]));
        }
        Assert.True(worst <= Tolerance, $"{name}: largest component difference {worst:E2} > {Tolerance:E0}");
    }

    /// <summary>v / ‖v‖.</summary>
    public static float[] Normalized(ReadOnlySpan<float> v)
    {
        double sum = 0;
        foreach (var x in v) sum += (double)x * x;
        float inv = sum > 0 ? (float)(1 / Math.Sqrt(sum)) : 0;
        var r = new float[v.Length];
        for (int i = 0; i < r.Length; i++) r[i] = v[i] * inv;
        return r;
    }
}
