using System.Security.Cryptography;
using System.Text.Json;
using Hearth.Core.Gguf;
using Hearth.Store.Synthetic;
using Hearth.Tests;

namespace Hearth.Engine.Tests.Lora;

/// <summary>Rebuilds the base models and random adapters of tests/fixtures/lora/manifest.json in a temporary folder,
/// exactly as tools/lora-references.sh made them for llama.cpp (F16 base, seed 1; F32 adapters).</summary>
internal sealed class LoraFiles : IDisposable
{
    private readonly JsonElement _adapters;

    public LoraFiles()
    {
        Manifest = JsonDocument.Parse(File.ReadAllBytes(System.IO.Path.Combine(Folder, "manifest.json")));
        _adapters = Manifest.RootElement.GetProperty("adapters");
    }

    public static string Folder => System.IO.Path.Combine(TestPaths.Fixtures, "lora");

    public JsonDocument Manifest { get; }

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("hearth-lora-").FullName;

    public string Base(string preset)
    {
        string path = System.IO.Path.Combine(Directory, preset + ".gguf");
        if (!File.Exists(path))
            SyntheticModel.Write(path, preset, GgmlType.F16, VocabLocator.Find(SyntheticPreset.Get(preset).DefaultVocab), seed: 1);
        return path;
    }

    /// <summary>The manifest's adapter <paramref name="name"/> for <paramref name="preset"/>.</summary>
    public string Adapter(string preset, string name)
    {
        string path = System.IO.Path.Combine(Directory, $"{preset}-lora-{name}.gguf");
        if (File.Exists(path)) return path;
        var a = _adapters.GetProperty(name);
        string targets = a.GetProperty("targets").GetString()!;
        var names = targets == "all" ? SyntheticLora.Targets.Keys.ToList() : targets.Split(',').ToList();
        SyntheticLora.Write(path, Base(preset), new SyntheticLora.Options(a.GetProperty("rank").GetInt32(), a.GetProperty("alpha").GetSingle(),
            names, GgmlType.F32, a.GetProperty("seed").GetInt32()));
        return path;
    }

    /// <summary>An extra adapter not in the manifest (for batching tests).</summary>
    public string Extra(string preset, string name, int rank, float alpha, string[] targets, int seed)
    {
        string path = System.IO.Path.Combine(Directory, $"{preset}-extra-{name}.gguf");
        if (!File.Exists(path)) SyntheticLora.Write(path, Base(preset), new SyntheticLora.Options(rank, alpha, targets, GgmlType.F32, seed));
        return path;
    }

    public static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    public void Dispose()
    {
        Manifest.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
