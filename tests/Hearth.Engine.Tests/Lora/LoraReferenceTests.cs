using System.Text.Json;
using Hearth.Core.Gguf;
using Hearth.Cpu;
using Hearth.Engine.Lora;
using Hearth.Engine.Models;
using Hearth.Engine.Tests.Models;
using Xunit.Abstractions;

namespace Hearth.Engine.Tests.Lora;

/// <summary>LoRA adapters against llama.cpp (fixtures made by tools/lora-references.sh with node-llama-cpp's prebuilt
/// llama.cpp; the version line is in each file): the base models and random adapters are rebuilt here and must hash
/// to the files llama.cpp ran; then, with the same adapters and scales (one adapter, alpha 0 at scale 0.5, two adapters
/// at once with a negative scale, Phi-3's fused matrices), teacher-forced top-20 logits at every step within 2e-3 of the
/// step's max |logit| (the all-F16 tolerance of ArchitectureReferenceTests) and greedy ids equal up to the first step
/// whose top-2 margin is below 2e-3. The adapter must also visibly change the logits (so the test could fail).</summary>
public sealed class LoraReferenceTests(ITestOutputHelper output) : IDisposable
{
    private const float RelTol = 2e-3f, MinMargin = 2e-3f;
    private readonly LoraFiles _files = new();

    public void Dispose() => _files.Dispose();

    public static IEnumerable<object[]> Fixtures() =>
        Directory.GetFiles(LoraFiles.Folder, "tiny-*.json").Select(Path.GetFileName).Order().Select(n => new object[] { n! });

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void MatchesLlamaCpp(string fixture)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(LoraFiles.Folder, fixture)));
        var root = doc.RootElement;
        Assert.StartsWith("llama.cpp ", root.GetProperty("reference").GetProperty("version_line").GetString());
        var spec = _files.Manifest.RootElement.GetProperty("cases").EnumerateArray()
            .Single(c => $"{c.GetProperty("preset").GetString()}-{c.GetProperty("name").GetString()}.json" == fixture);
        string preset = spec.GetProperty("preset").GetString()!;
        string basePath = _files.Base(preset);
        Assert.Equal(root.GetProperty("model").GetProperty("sha256").GetString(), LoraFiles.Sha256(basePath));

        using var gguf = GgufFile.Open(basePath);
        using var backend = new CpuBackend(1);
        using var model = DecoderModel.Load(gguf, backend);
        var refLoras = root.GetProperty("settings").GetProperty("lora").EnumerateArray().ToArray();
        var uses = new List<LoraUse>();
        foreach (var (pair, i) in spec.GetProperty("loras").EnumerateArray().Select((p, i) => (p, i)))
        {
            string path = _files.Adapter(preset, pair[0].GetString()!);
            Assert.Equal(refLoras[i].GetProperty("sha256").GetString(), LoraFiles.Sha256(path));
            Assert.Equal(refLoras[i].GetProperty("scale").GetSingle(), pair[1].GetSingle());
            uses.Add(new LoraUse(model.LoadAdapter(path, pair[0].GetString()!), pair[1].GetSingle()));
        }
        var lora = new LoraSelection(uses);
        const int blockSize = 4;
        model.AllocateKvCache(64, blockSize);
        float worstRel = 0, biggestEffect = 0;
        foreach (var c in root.GetProperty("cases").EnumerateArray())
        {
            int[] prompt = Ints(c.GetProperty("prompt_ids")), greedy = Ints(c.GetProperty("greedy_ids"));
            var steps = c.GetProperty("top_per_step").EnumerateArray().ToArray();
            var margins = c.GetProperty("top2_margin_per_step").EnumerateArray().Select(x => x.GetSingle()).ToArray();
            var seq = new SingleSequence(model, blockSize, Enumerable.Range(0, 16).Select(i => 63 - i).ToArray()) { Lora = lora };
            var bare = new SingleSequence(model, blockSize, Enumerable.Range(0, 16).Select(i => 47 - i).ToArray());
            var logits = seq.Append(prompt);
            var baseLogits = bare.Append(prompt);
            bool agrees = true;
            for (int step = 0; step < greedy.Length; step++)
            {
                if (step > 0)
                {
                    logits = seq.Append([greedy[step - 1]]);
                    baseLogits = bare.Append([greedy[step - 1]]);
                }
                var top = steps[step].EnumerateArray().Select(p => (Id: p[0].GetInt32(), Logit: p[1].GetSingle())).ToArray();
                float max = top.Max(p => MathF.Abs(p.Logit));
                foreach (var (id, logit) in top)
                {
                    float d = MathF.Abs(logits[id] - logit);
                    worstRel = MathF.Max(worstRel, d / max);
                    biggestEffect = MathF.Max(biggestEffect, MathF.Abs(baseLogits[id] - logit) / max);
                    Assert.True(d <= RelTol * max, $"{fixture} prompt {c.GetProperty("index")} step {step}: logit of {id} is {logits[id]}, llama.cpp {logit}");
                }
                if (margins[step] < MinMargin) agrees = false;
                if (agrees || margins[step] >= MinMargin)
                    Assert.True(ReferenceTests.ArgMax(logits) == greedy[step], $"{fixture} step {step}: argmax {ReferenceTests.ArgMax(logits)}, llama.cpp {greedy[step]}");
            }
        }
        output.WriteLine($"{fixture}: worst relative logit difference {worstRel:E3}; the adapter moves logits by up to {biggestEffect:E3} of the max");
        Assert.True(biggestEffect > 50 * RelTol, $"the adapter barely changes the logits ({biggestEffect:E3}): the comparison would not catch a missing adapter");
    }

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();
}
