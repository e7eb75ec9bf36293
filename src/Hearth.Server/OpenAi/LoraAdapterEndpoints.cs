using Hearth.Server.Http;
using Hearth.Store.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Hearth.Server.OpenAi;

/// <summary>vLLM's run-time adapter endpoints (behind the API key like every endpoint): <c>POST /v1/load_lora_adapter</c>
/// {lora_name, lora_path[, base_model_name, scale]} registers the name and loads the file into its base model (a
/// file that does not fit the model is a 400 and the name is not kept); <c>POST /v1/unload_lora_adapter</c>
/// {lora_name} forgets it (404 when unknown); requests already running with it finish with it. Answers are vLLM's
/// plain-text success lines.</summary>
public static class LoraAdapterEndpoints
{
    public static async Task Load(HttpContext ctx)
    {
        var a = await JsonArgs.ReadAsync(ctx);
        var name = Required(a, "lora_name");
        var path = Required(a, "lora_path");
        var scale = (float)(a.Number("scale", -100, 100) ?? 1);
        var host = ctx.RequestServices.GetRequiredService<LoraModelHost>();
        if (name.Contains('+') || host.Inner.FindLoaded(name) is not null)
            throw ApiException.BadRequest($"'{name}' cannot name a LoRA adapter (it contains '+' or names a model)", "lora_name");
        if (!await host.LoadAdapterAsync(new LoraSpec(name, path, scale, a.String("base_model_name")), ctx.RequestAborted))
            throw ApiException.BadRequest($"The lora adapter '{name}' has already been loaded.", "lora_name");
        await Text(ctx, $"Success: LoRA adapter '{name}' added successfully.");
    }

    public static async Task Unload(HttpContext ctx)
    {
        var a = await JsonArgs.ReadAsync(ctx);
        var name = Required(a, "lora_name");
        if (!ctx.RequestServices.GetRequiredService<LoraModelHost>().UnloadAdapter(name))
            throw new ApiException(404, $"The lora adapter '{name}' cannot be found.", "lora_name", "lora_not_found");
        await Text(ctx, $"Success: LoRA adapter '{name}' removed successfully.");
    }

    /// <summary>GET /lora-adapters (llama-server): the adapters by id, the index a request's <c>lora[].id</c> names.</summary>
    public static Task List(HttpContext ctx)
    {
        var specs = ctx.RequestServices.GetRequiredService<LoraModelHost>().Registry.All();
        return JsonOut.WriteAsync(ctx, 200, w =>
        {
            w.WriteStartArray();
            for (int i = 0; i < specs.Count; i++)
            {
                w.WriteStartObject();
                w.WriteNumber("id", i);
                w.WriteString("name", specs[i].Name);
                w.WriteString("path", specs[i].Path);
                w.WriteNumber("scale", specs[i].Scale);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
    }

    private static string Required(JsonArgs a, string field) =>
        a.String(field) is { Length: > 0 } s ? s : throw ApiException.BadRequest($"'{field}' is required", field);

    private static Task Text(HttpContext ctx, string text)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/plain; charset=utf-8";
        return ctx.Response.WriteAsync(text);
    }
}
