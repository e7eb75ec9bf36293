using System.Security.Cryptography;
using System.Text.Json;
using Hearth.Core.Gguf;
using Hearth.Core.Tokenizers;
using Hearth.Cpu;
using Hearth.Engine.Models;
using Hearth.Store.Synthetic;
using Hearth.Tests;
using Xunit.Abstractions;

namespace Hearth.Engine.Tests.Models;

/// <summary>The architectures beyond the Llama family (gemma2, gemma3, phi3, qwen2moe, qwen3moe, Mixtral-style llama)
/// against llama.cpp on their tiny synthetic presets (fixtures made by tools/arch-references.sh): the model is rebuilt
/// here and must hash to the file llama.cpp ran; then teacher-forced top-20 logits at every step within the all-F16
/// tolerance of ../shared/reference/models/README.md (2e-3 of the step's max |logit|), and greedy ids equal up to the
/// first step whose top-2 margin is below 2e-3. A quantized fixture (gpt-oss in MXFP4: llama.cpp rounds activations to
/// Q8_0 for its MXFP4 and Q8_0 matmuls) gets FormatReferenceTests' tolerance for quantized files, 2.5e-2 of the step's
/// max, and greedy ids up to the first margin below twice that. A batch of all prompts together gives each the logits it
/// gets alone.</summary>
public sealed class ArchitectureReferenceTests(ITestOutputHelper output) : IDisposable
{
    private const float F16RelTol = 2e-3f, F16MinMargin = 2e-3f, QuantizedRelTol = 2.5e-2f;
    private readonly string _dir = Directory.CreateTempSubdirectory("hearth-arch-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static IEnumerable<object[]> Fixtures() =>
        Directory.GetFiles(Path.Combine(TestPaths.Fixtures, "reference"), "tiny-*-*.json")
            .Select(Path.GetFileName).Order().Select(n => new object[] { n! });

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void MatchesLlamaCpp(string fixture)
    {
        var (doc, path) = Build(fixture);
        using var gguf = GgufFile.Open(path);
        using var backend = new CpuBackend(1);
        using var model = DecoderModel.Load(gguf, backend);
        const int blockSize = 4;
        model.AllocateKvCache(64, blockSize);
        bool f16 = fixture.EndsWith("-f16.json", StringComparison.Ordinal);
        float relTol = f16 ? F16RelTol : QuantizedRelTol;
        float worstRel = 0;
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            int[] prompt = Ints(c.GetProperty("prompt_ids")), greedy = Ints(c.GetProperty("greedy_ids"));
            var steps = c.GetProperty("top_per_step").EnumerateArray().ToArray();
            var margins = c.GetProperty("top2_margin_per_step").EnumerateArray().Select(x => x.GetSingle()).ToArray();
            // A reversed block table: paging, not contiguity, is what makes it work.
            var seq = new SingleSequence(model, blockSize, Enumerable.Range(0, 16).Select(i => 63 - i).ToArray());
            var logits = seq.Append(prompt);
            bool agrees = true;
            for (int step = 0; step < greedy.Length; step++)
            {
                if (step > 0) logits = seq.Append([greedy[step - 1]]);
                var top = steps[step].EnumerateArray().Select(p => (Id: p[0].GetInt32(), Logit: p[1].GetSingle())).ToArray();
                float max = top.Max(p => MathF.Abs(p.Logit));
                foreach (var (id, logit) in top)
                {
                    float d = MathF.Abs(logits[id] - logit);
                    worstRel = MathF.Max(worstRel, d / max);
                    Assert.True(d <= relTol * max, $"{fixture} prompt {c.GetProperty("index")} step {step}: logit of {id} is {logits[id]}, llama.cpp {logit}");
                }
                float minMargin = f16 ? F16MinMargin : 2 * relTol * max;
                if (margins[step] < minMargin) agrees = false;
                if (agrees || margins[step] >= minMargin)
                    Assert.True(ReferenceTests.ArgMax(logits) == greedy[step], $"{fixture} step {step}: argmax {ReferenceTests.ArgMax(logits)}, llama.cpp {greedy[step]}");
            }
        }
        output.WriteLine($"{fixture}: worst relative logit difference {worstRel:E3}");
    }

    /// <summary>The GGUF's own tokenizer gives llama.cpp's prompt ids (add_special, no special parsing): for gpt-oss this
    /// is GPT-4o's split (camel case, contractions, "/" after punctuation, digits in threes, letters beyond ASCII).</summary>
    [Theory]
    [MemberData(nameof(Fixtures))]
    public void TokenizesLikeLlamaCpp(string fixture)
    {
        var (doc, path) = Build(fixture);
        var tokenizer = TokenizerFactory.FromGguf(path);
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
            Assert.Equal(Ints(c.GetProperty("prompt_ids")), tokenizer.Encode(c.GetProperty("prompt").GetString()!, addSpecial: true, parseSpecial: false));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void MixedBatchEqualsEachSequenceAlone(string fixture)
    {
        var (doc, path) = Build(fixture);
        using var gguf = GgufFile.Open(path);
        using var backend = new CpuBackend(2);
        using var model = DecoderModel.Load(gguf, backend);
        const int bs = 4;
        model.AllocateKvCache(96, bs);
        var prompts = doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => Ints(c.GetProperty("prompt_ids"))).ToArray();
        int[] Table(int s) => Enumerable.Range(0, 24).Select(i => i * prompts.Length + s).ToArray();

        var alone = new List<float[]>();
        for (int s = 0; s < prompts.Length; s++)
        {
            var seq = new SingleSequence(model, bs, Table(s));
            alone.Add(seq.Append(prompts[s]));
            alone.Add(seq.Append([100 + s]));
        }
        // All prompts in one batch, then one decode token each, in another order.
        var seqs = Enumerable.Range(0, prompts.Length).Select(s => new SingleSequence(model, bs, Table(s))).ToArray();
        var first = BatchedForwardTests.Run(model, seqs, [.. Enumerable.Range(0, prompts.Length).Select(s => (s, prompts[s], true))]);
        var second = BatchedForwardTests.Run(model, seqs, [.. Enumerable.Range(0, prompts.Length).Reverse().Select(s => (s, new[] { 100 + s }, true))]);
        for (int s = 0; s < prompts.Length; s++)
        {
            BatchedForwardTests.AssertClose(alone[2 * s], first[s]);
            BatchedForwardTests.AssertClose(alone[2 * s + 1], second[prompts.Length - 1 - s]);
        }
    }

    /// <summary>Rebuilds the fixture's model (preset and type from its file name, seed 1) and checks it is the file llama.cpp ran.</summary>
    private (JsonDocument Doc, string Path) Build(string fixture) => Build(fixture, _dir);

    /// <summary>Writes the fixture's model into <paramref name="dir"/>; see <see cref="Build(string)"/>.</summary>
    internal static (JsonDocument Doc, string Path) Build(string fixture, string dir)
    {
        var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TestPaths.Fixtures, "reference", fixture)));
        string preset = fixture[..fixture.LastIndexOf('-')];
        var quant = Enum.Parse<GgmlType>(fixture[(fixture.LastIndexOf('-') + 1)..^".json".Length], ignoreCase: true);
        string path = Path.Combine(dir, preset + ".gguf");
        SyntheticModel.Write(path, preset, quant, VocabLocator.Find(SyntheticPreset.Get(preset).DefaultVocab), seed: 1);
        string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
        Assert.Equal(doc.RootElement.GetProperty("model").GetProperty("sha256").GetString(), sha);
        return (doc, path);
    }

    internal static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();
}
