using System.Text.Json;
using Hearth.Engine;
using Hearth.Server.Http;
using Hearth.Store;
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

    public static Task List(HttpContext ctx)
    {
        var models = ctx.RequestServices.GetRequiredService<IModelCatalog>().List();
        return JsonOut.WriteAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            foreach (var m in models) WriteModel(w, m);
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    public static Task Get(HttpContext ctx)
    {
        var id = (string)ctx.Request.RouteValues["id"]!;
        var m = ctx.RequestServices.GetRequiredService<IModelCatalog>().Find(id) ?? throw new ModelNotFoundException(id);
        return JsonOut.WriteAsync(ctx, 200, w => WriteModel(w, m));
    }
}
