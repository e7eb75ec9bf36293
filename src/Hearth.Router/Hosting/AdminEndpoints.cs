using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Router.Keys;
using Hearth.Router.Proxy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hearth.Router.Hosting;

/// <summary>/admin/keys (issue, list, revoke virtual keys) and /admin/usage (usage per key, model, upstream).</summary>
public static class AdminEndpoints
{
    internal sealed record KeyBody(string? Name, List<string>? Models, int? Rpm, int? Tpm, long? Budget);

    public static void Map(IEndpointRouteBuilder app, RouterState state)
    {
        app.MapPost("/admin/keys", async ctx =>
        {
            if (!await AdminAsync(ctx, state)) return;
            KeyBody? body;
            try { body = await JsonSerializer.DeserializeAsync(ctx.Request.Body, AdminJsonContext.Default.KeyBody, ctx.RequestAborted); }
            catch (JsonException e) { await OpenAiError.WriteAsync(ctx, 400, "invalid_request_error", "bad key request: " + e.Message); return; }
            body ??= new KeyBody(null, null, null, null, null);
            if (body.Models is { } ms && ms.FirstOrDefault(m => !state.Routes.ContainsKey(m)) is { } unknown)
            {
                await OpenAiError.WriteAsync(ctx, 400, "invalid_request_error", $"unknown model '{unknown}'", "model_not_found");
                return;
            }
            try
            {
                var (key, secret) = state.Keys.Create(new KeyRequest(body.Name, body.Models, body.Rpm, body.Tpm, body.Budget));
                await JsonReply.WriteAsync(ctx, new JsonObject
                {
                    ["key"] = secret, ["id"] = key.Id, ["name"] = key.Name, ["models"] = JsonReply.Strings(key.Models),
                    ["rpm"] = key.Rpm, ["tpm"] = key.Tpm, ["budget"] = key.Budget,
                }, 201);
            }
            catch (ArgumentException e) { await OpenAiError.WriteAsync(ctx, 400, "invalid_request_error", e.Message); }
        });
        app.MapGet("/admin/keys", async ctx =>
        {
            if (!await AdminAsync(ctx, state)) return;
            var data = new JsonArray();
            foreach (var k in state.Keys.All())
                data.Add((JsonNode)new JsonObject
                {
                    ["id"] = k.Key.Id, ["name"] = k.Key.Name, ["models"] = JsonReply.Strings(k.Key.Models), ["rpm"] = k.Key.Rpm,
                    ["tpm"] = k.Key.Tpm, ["budget"] = k.Key.Budget, ["tokens_used"] = await k.TokensUsedAsync(ctx.RequestAborted),
                });
            await JsonReply.WriteAsync(ctx, new JsonObject { ["data"] = data });
        });
        app.MapDelete("/admin/keys/{id}", async ctx =>
        {
            if (!await AdminAsync(ctx, state)) return;
            var id = (string)ctx.Request.RouteValues["id"]!;
            if (state.Keys.Revoke(id)) ctx.Response.StatusCode = 204;
            else await OpenAiError.WriteAsync(ctx, 404, "invalid_request_error", $"no key '{id}'");
        });
        app.MapGet("/admin/usage", async ctx =>
        {
            if (!await AdminAsync(ctx, state)) return;
            await state.UsageLog.FlushAsync();
            var key = ctx.Request.Query["key"].ToString();
            var rows = state.Store.Summaries(string.IsNullOrEmpty(key) ? null : key);
            var data = new JsonArray(rows.Select(r => (JsonNode?)new JsonObject
            {
                ["key"] = r.KeyId, ["model"] = r.Model, ["upstream"] = r.Upstream, ["requests"] = r.Requests,
                ["prompt_tokens"] = r.PromptTokens, ["completion_tokens"] = r.CompletionTokens,
            }).ToArray());
            await JsonReply.WriteAsync(ctx, new JsonObject { ["data"] = data });
        });
    }

    private static async Task<bool> AdminAsync(HttpContext ctx, RouterState state)
    {
        if (RouterAuth.IsAdmin(ctx, state)) return true;
        await RouterAuth.WriteUnauthorizedAsync(ctx, "admin endpoints need the master key");
        return false;
    }
}
