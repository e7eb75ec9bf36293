using Hearth.Store;

namespace Hearth.Store.Tests.Store;

/// <summary>A model store in a fresh temp directory, deleted on dispose.</summary>
internal sealed class TempStore : IDisposable
{
    public TempStore(HttpClient? http = null, Dictionary<string, string>? environment = null)
    {
        Root = Path.Combine(Path.GetTempPath(), "hearth-test-" + Guid.NewGuid().ToString("N"));
        Environment = environment ?? [];
        Store = new ModelStore(Root, http, name => Environment.TryGetValue(name, out var v) ? v : null);
    }

    public string Root { get; }
    public Dictionary<string, string> Environment { get; }
    public ModelStore Store { get; }

    /// <summary>The committed tinystories GGUF.</summary>
    public static string Gguf => Hearth.Tests.TestPaths.EmbeddedModel;

    public const string GgufDigest = EmbeddedModel.Digest;
    public const long GgufSize = 749728;

    /// <summary>Creates a model from the committed GGUF under <paramref name="name"/>.</summary>
    public ModelEntry AddModel(string name) =>
        ModelCreator.Create(Store, name, new Modelfile(Gguf, 1), Root);

    public void Dispose()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
    }
}
