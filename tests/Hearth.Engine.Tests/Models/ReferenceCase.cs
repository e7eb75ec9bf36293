using System.Text.Json;

namespace Hearth.Engine.Tests.Models;

/// <summary>One llama.cpp reference file from ../shared/reference/models (see its README).</summary>
internal sealed record ReferenceCase(
    string Name, string ModelFile, int[] PromptIds, int[] GreedyIds, float[][] Top20Logits, int[][] Top20Ids,
    float[] Margins, float RelTol, float MinMargin, float[] Logits0)
{
    public static IEnumerable<object[]> All()
    {
        string? dir = Hearth.Tests.TestPaths.SharedFile("reference", "models");
        if (dir is null || !Directory.Exists(dir)) return [["(shared absent)"]];
        return Directory.GetFiles(dir, "*.p*.json").Select(Path.GetFileName).Order().Select(n => new object[] { n! });
    }

    public static ReferenceCase Load(string fileName)
    {
        string dir = Hearth.Tests.TestPaths.SharedFile("reference", "models")!;
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, fileName)));
        var r = doc.RootElement;
        int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();
        var top = r.GetProperty("top20_per_step").EnumerateArray().ToArray();
        var tol = r.GetProperty("suggested_tolerance");
        var logitsFile = Path.Combine(dir, r.GetProperty("first_step_logits_file").GetString()!);
        var bytes = File.ReadAllBytes(logitsFile);
        var logits0 = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, logits0, 0, bytes.Length);
        return new ReferenceCase(
            fileName,
            Path.Combine(Hearth.Tests.TestPaths.Shared!, "models", r.GetProperty("model_file").GetString()!),
            Ints(r.GetProperty("prompt_ids")),
            Ints(r.GetProperty("greedy_ids")),
            top.Select(s => s.EnumerateArray().Select(p => p[1].GetSingle()).ToArray()).ToArray(),
            top.Select(s => s.EnumerateArray().Select(p => p[0].GetInt32()).ToArray()).ToArray(),
            r.GetProperty("top2_margin_per_step").EnumerateArray().Select(x => x.GetSingle()).ToArray(),
            tol.GetProperty("logit_rel_tol").GetSingle(),
            tol.GetProperty("argmax_min_margin").GetSingle(),
            logits0);
    }
}
