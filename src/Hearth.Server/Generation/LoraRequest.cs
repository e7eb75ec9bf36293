using Hearth.Engine.Lora;
using Hearth.Server.Http;
using Hearth.Store.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Hearth.Server.Generation;

/// <summary>llama-server's per-request adapter field, <c>"lora": [{"id": 0, "scale": 0.5}, …]</c>: ids index the
/// server's adapters in registration order (<c>GET /lora-adapters</c>), adapters left out run at scale 0 (as in
/// llama-server), and the list replaces the adapters the model name brings. An empty list means the bare model.</summary>
public sealed record LoraRequest(IReadOnlyList<(int Id, float Scale)> Entries)
{
    /// <summary>The field, validated for shape (ids are checked against the adapters when the request runs); null when absent.</summary>
    public static LoraRequest? Parse(JsonArgs a)
    {
        if (!a.Has("lora")) return null;
        var array = a.Array("lora") ?? throw ApiException.BadRequest("'lora' must be an array of {\"id\", \"scale\"}", "lora");
        if (array.Count > 64) throw ApiException.BadRequest("'lora' may hold at most 64 adapters", "lora");
        var entries = new List<(int, float)>(array.Count);
        foreach (var node in array)
        {
            if (node is not System.Text.Json.Nodes.JsonObject o) throw ApiException.BadRequest("'lora' entries must be objects {\"id\", \"scale\"}", "lora");
            var e = new JsonArgs(o, "lora[].");
            int id = e.Int("id", 0) ?? throw ApiException.BadRequest("'lora[].id' is required", "lora");
            entries.Add((id, (float)(e.Number("scale", -100, 100) ?? 1)));
        }
        return new LoraRequest(entries);
    }

    /// <summary>Loads (or finds) the named adapters in <paramref name="model"/> and returns them with a reference held
    /// until the returned lease is disposed.</summary>
    public LoraLease Acquire(HttpContext ctx, LoadedModel model)
    {
        var specs = ctx.RequestServices.GetRequiredService<LoraModelHost>().Registry.All();
        foreach (var (id, _) in Entries)
            if (id >= specs.Count)
                throw ApiException.BadRequest($"'lora' id {id} is not an adapter of this server ({specs.Count} loaded; see GET /lora-adapters)", "lora");
        if (Entries.Count > 0 && model.Adapters is null)
            throw ApiException.BadRequest($"model '{model.Name}' cannot run LoRA adapters", "lora");
        var held = new List<LoraUse>();
        try
        {
            foreach (var (id, scale) in Entries.Where(e => e.Scale != 0))
                held.Add(new LoraUse(model.Adapters!.Acquire(specs[id].Name, specs[id].Path), scale));
        }
        catch
        {
            foreach (var u in held) u.Adapter.Release();
            throw;
        }
        return new LoraLease(held.Count == 0 ? null : new LoraSelection(held));
    }
}

/// <summary>The adapters of one request, released when the request is done (the engine holds its own references
/// while the request runs).</summary>
public sealed class LoraLease(LoraSelection? selection) : IDisposable
{
    private int _released;
    /// <summary>Null: the request runs on the bare model.</summary>
    public LoraSelection? Selection { get; } = selection;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) Selection?.Release();
    }
}
