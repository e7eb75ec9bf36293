using System.Text;
using System.Text.Json;
using Hearth.Core.Tokenizers;
using Hearth.Tests;

namespace Hearth.Core.Tests.Tokenizers;

/// <summary>The real and synthetic models in ../shared/models against the reference runs in
/// ../shared/reference/models: prompt tokenization, token pieces, streaming text and end-of-generation.</summary>
public class ReferenceModelTests
{
    public static TheoryData<string> ReferenceFiles()
    {
        var data = new TheoryData<string>();
        if (TestPaths.SharedFile("reference", "models") is { } dir && Directory.Exists(dir))
            foreach (var f in Directory.GetFiles(dir, "*.p*.json").Order(StringComparer.Ordinal))
                data.Add(Path.GetFileName(f));
        else
            data.Add("(no ../shared)"); // the theory is skipped then; xunit needs at least one row
        return data;
    }

    private sealed record Reference(string ModelFile, string Prompt, bool AddBos, bool ParseSpecial, int[] PromptIds,
        int[] GreedyIds, string GreedyText, string GreedyTextHex, bool ValidUtf8, string[] PiecesHex, string StopReason,
        int EosId, int? BosId, int VocabSize);

    private static Reference Read(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(TestPaths.SharedFile("reference", "models", name)!));
        var r = doc.RootElement;
        int[] Ints(string p) => r.GetProperty(p).EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var bos = r.GetProperty("bos_id");
        return new Reference(r.GetProperty("model_file").GetString()!, r.GetProperty("prompt").GetString()!,
            r.GetProperty("add_bos").GetBoolean(), r.GetProperty("parse_special").GetBoolean(), Ints("prompt_ids"),
            Ints("greedy_ids"), r.GetProperty("greedy_text").GetString()!, r.GetProperty("greedy_text_hex").GetString()!,
            r.GetProperty("greedy_text_is_valid_utf8").GetBoolean(),
            r.GetProperty("greedy_pieces_hex").EnumerateArray().Select(e => e.GetString()!).ToArray(),
            r.GetProperty("stop_reason").GetString()!, r.GetProperty("eos_id").GetInt32(),
            bos.ValueKind == JsonValueKind.Number ? bos.GetInt32() : null, r.GetProperty("n_vocab").GetInt32());
    }

    private static ITokenizer TokenizerOf(Reference r) =>
        VocabTestFile.TokenizerFor(TestPaths.SharedFile("models", r.ModelFile)!);

    [SharedTheory]
    [MemberData(nameof(ReferenceFiles))]
    public void PromptTokenizesToReferenceIds(string name)
    {
        var r = Read(name);
        var t = TokenizerOf(r);
        Assert.Equal(r.VocabSize, t.VocabSize);
        Assert.Equal(r.EosId, t.EosId);
        Assert.Equal(r.AddBos, t.AddBos);
        Assert.Equal(r.PromptIds, t.Encode(r.Prompt, addSpecial: true, parseSpecial: r.ParseSpecial));
    }

    [SharedTheory]
    [MemberData(nameof(ReferenceFiles))]
    public void GreedyPiecesAndStreamedTextMatchReference(string name)
    {
        var r = Read(name);
        var t = TokenizerOf(r);
        Assert.Equal(r.GreedyIds.Length, r.PiecesHex.Length);
        for (int i = 0; i < r.GreedyIds.Length; i++)
            Assert.Equal(r.PiecesHex[i], Convert.ToHexStringLower(t.TokenBytes(r.GreedyIds[i])));

        // Generation stops at the first end-of-generation token, which the reference includes as the last id.
        bool endsWithEog = r.StopReason == "eog";
        for (int i = 0; i < r.GreedyIds.Length; i++)
            Assert.Equal(endsWithEog && i == r.GreedyIds.Length - 1, t.IsEndOfGeneration(r.GreedyIds[i]));

        var stream = new StreamingDetokenizer(t);
        var text = new StringBuilder();
        var generated = endsWithEog ? r.GreedyIds[..^1] : r.GreedyIds;
        foreach (int id in generated)
            text.Append(stream.Add(id));
        text.Append(stream.Flush());
        Assert.Equal(r.GreedyText, text.ToString());
        if (r.ValidUtf8)
            Assert.Equal(r.GreedyTextHex, Convert.ToHexStringLower(Encoding.UTF8.GetBytes(text.ToString())));
        Assert.Equal(r.GreedyText, t.Decode(generated));
    }
}
