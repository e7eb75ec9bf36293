using Hearth.Engine;
using Hearth.Server.Http;
using Hearth.Store;
using Hearth.Store.Hosting;

namespace Hearth.Server;

/// <summary>The catalog used when the server runs without a model store (`serve --model FILE`): it lists the loaded
/// models and refuses pulls, deletes and copies.</summary>
public sealed class HostCatalog(IModelHost host) : IModelCatalog
{
    private static ApiException NoStore() => ApiException.BadRequest("this server has no model store (it was started with model files)");

    public IReadOnlyList<ModelEntry> List() =>
        host.Loaded().Select(m => new ModelEntry(m.Name, "", "", m.SizeBytes, DateTimeOffset.UtcNow)).ToList();

    public ModelEntry? Find(string name)
    {
        var full = name.Contains(':') ? name : name + ":latest";
        return List().FirstOrDefault(e => e.Name == name || e.Name == full);
    }

    public Task<ModelEntry> PullAsync(string name, IProgress<PullProgress>? progress, CancellationToken cancellationToken) => throw NoStore();
    public bool Delete(string name) => throw NoStore();
    public ModelEntry Copy(string source, string destination) => throw NoStore();
}
