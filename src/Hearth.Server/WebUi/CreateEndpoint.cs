using Hearth.Engine;
using Hearth.Server.Http;
using Hearth.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Hearth.Server.WebUi;

/// <summary>POST /api/create with Ollama's older body, {"model": NAME, "modelfile": TEXT}: `hearth create` over HTTP.
/// FROM names a store model or a blob digest (a file path is read relative to the store folder, as on the server's
/// disk). Answers {"status":"success"} once the manifest is written; bad Modelfiles get 400.</summary>
public static class CreateEndpoint
{
    public const int MaxModelfileChars = 256 * 1024;

    public static async Task Handle(HttpContext ctx)
    {
        var a = await JsonArgs.ReadAsync(ctx);
        var name = a.String("model") ?? a.String("name") ?? throw ApiException.BadRequest("'model' is required", "model");
        var text = a.String("modelfile") ?? throw ApiException.BadRequest("'modelfile' is required (the Modelfile's text)", "modelfile");
        if (text.Length > MaxModelfileChars) throw ApiException.BadRequest($"'modelfile' is longer than {MaxModelfileChars} characters", "modelfile");
        if (ctx.RequestServices.GetRequiredService<IModelCatalog>() is not ModelStore store)
            throw new ApiException(501, "this server has no model store (started with GGUF files), so it cannot create models", code: "no_store");
        ModelEntry entry;
        try
        {
            var modelfile = ModelfileParser.Parse(text);
            entry = await Task.Run(() => ModelCreator.Create(store, name, modelfile, store.Root, null, ctx.RequestAborted), ctx.RequestAborted);
        }
        catch (Exception e) when (e is ModelfileException or ModelStoreException or FileNotFoundException or ArgumentException
                                      or InvalidDataException or Hearth.Core.Gguf.GgufException)
        {
            throw ApiException.BadRequest(e.Message, "modelfile");
        }
        RequestRecord.Of(ctx).Model = entry.Name;
        await JsonOut.WriteAsync(ctx, 200, w => { w.WriteStartObject(); w.WriteString("status", "success"); w.WriteString("model", entry.Name); w.WriteEndObject(); });
    }
}
