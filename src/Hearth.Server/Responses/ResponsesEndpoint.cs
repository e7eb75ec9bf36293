using System.Text.Json;
using Hearth.Server.Generation;
using Hearth.Server.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Hearth.Server.Responses;

/// <summary>OpenAI's Responses API: POST /v1/responses (on the generation pipeline), GET and DELETE
/// /v1/responses/{id} (the caller's stored responses only).</summary>
public static class ResponsesEndpoint
{
    private static ResponseStore Store(HttpContext ctx) => ctx.RequestServices.GetRequiredService<ResponseStore>();

    public static async Task Create(HttpContext ctx)
    {
        var store = Store(ctx);
        var request = ResponsesRequest.Parse(await JsonArgs.ReadAsync(ctx), store, RequestRecord.Of(ctx).Caller);
        await GenerationPipeline.RunAsync(ctx, request.Spec, new ResponsesWriter(ctx, request, store));
    }

    public static Task Get(HttpContext ctx)
    {
        var id = (string)ctx.Request.RouteValues["id"]!;
        var stored = Store(ctx).Find(id, RequestRecord.Of(ctx).Caller) ?? throw NotFound(id);
        return JsonOut.WriteAsync(ctx, 200, stored.Json);
    }

    public static Task Delete(HttpContext ctx)
    {
        var id = (string)ctx.Request.RouteValues["id"]!;
        if (!Store(ctx).Delete(id, RequestRecord.Of(ctx).Caller)) throw NotFound(id);
        return JsonOut.WriteAsync(ctx, 200, JsonSerializer.SerializeToUtf8Bytes(new ResponseDeleted(id), ResponsesJsonContext.Api.ResponseDeleted));
    }

    private static ApiException NotFound(string id) => new(404, $"Response with id '{id}' not found.", "id", "not_found");
}
