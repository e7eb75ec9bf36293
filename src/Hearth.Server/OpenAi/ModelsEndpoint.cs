using System.Text.Json;
using Hearth.Engine;
using Hearth.Server.Http;
using Hearth.Store;
using Hearth.Store.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Hearth.Server.OpenAi;

/// <summary>GET /v1/models and /v1/models/{id}: the models in the store.</summary>
public static class ModelsEndpoint
{
    private static void WriteModel(Utf8JsonWriter w, ModelEntry m)
    {
        w.WriteStartObject();
        w.WriteString("id", m.Name);
        w.WriteString("object", "model");
        w.WriteNumber("created", m.ModifiedAt.ToUnixTimeSeconds());
        w.WriteString("owned_by", "hearth");
        w.WriteEndObject();
    }

    /// <summary>An adapter served as a model, as vLLM lists one: <c>parent</c> is its base model, <c>root</c> its file.</summary>
    private static void WriteAdapter(Utf8JsonWriter w, LoraSpec a, string defaultModel)
    {
        w.WriteStartObject();
        w.WriteString("id", a.Name);
        w.WriteString("object", "model");
        w.WriteNumber("created", File.Exists(a.Path) ? new DateTimeOffset(File.GetLastWriteTimeUtc(a.Path)).ToUnixTimeSeconds() : 0);
        w.WriteString("owned_by", "hearth");
        w.WriteString("root", a.Path);
        w.WriteString("parent", a.BaseModel ?? defaultModel);
        w.WriteEndObject();
    }

    public static Task List(HttpContext ctx)
    {
        var models = ctx.RequestServices.GetRequiredService<IModelCatalog>().List();
        var loras = ctx.RequestServices.GetRequiredService<LoraModelHost>();
        return JsonOut.WriteAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            foreach (var m in models) WriteModel(w, m);
            foreach (var a in loras.Registry.All()) WriteAdapter(w, a, loras.DefaultModelName);
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    public static Task Get(HttpContext ctx)
    {
        var id = (string)ctx.Request.RouteValues["id"]!;
        var loras = ctx.RequestServices.GetRequiredService<LoraModelHost>();
        if (loras.Registry.Find(id) is { } adapter) return JsonOut.WriteAsync(ctx, 200, w => WriteAdapter(w, adapter, loras.DefaultModelName));
        var m = ctx.RequestServices.GetRequiredService<IModelCatalog>().Find(id) ?? throw new ModelNotFoundException(id);
        return JsonOut.WriteAsync(ctx, 200, w => WriteModel(w, m));
    }
}
