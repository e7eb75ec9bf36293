using Hearth.Server.Anthropic;
using Hearth.Server.Ollama;
using Hearth.Server.OpenAi;
using Hearth.Server.Responses;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hearth.Server;

/// <summary>The API index: every route the server answers, one line each. Handlers live in their own files.
/// Unknown routes get 404 and wrong methods 405, both with API-shaped bodies (see ErrorMiddleware).</summary>
public static class Routes
{
    public static void Map(IEndpointRouteBuilder app)
    {
        // Health and observability (/health needs no API key and answers before any model is loaded)
        Get(app, "/health", HealthEndpoints.Health);
        Get(app, "/ready", HealthEndpoints.Ready);
        Get(app, "/metrics", HealthEndpoints.Metrics);
        app.MapMethods("/", ["GET", "HEAD"], HealthEndpoints.Root);

        // OpenAI-compatible API
        Post(app, "/v1/chat/completions", ChatCompletionsEndpoint.Handle);
        Post(app, "/v1/completions", CompletionsEndpoint.Handle);
        Post(app, "/v1/responses", ResponsesEndpoint.Create);
        Get(app, "/v1/responses/{id}", ResponsesEndpoint.Get);
        app.MapMethods("/v1/responses/{id}", ["DELETE"], ResponsesEndpoint.Delete);
        Get(app, "/v1/models", ModelsEndpoint.List);
        Get(app, "/v1/models/{id}", ModelsEndpoint.Get);

        // Anthropic-compatible API
        Post(app, "/v1/messages", MessagesEndpoint.Handle);
        Post(app, "/v1/messages/count_tokens", MessagesEndpoint.CountTokens);

        // Ollama-compatible API
        Post(app, "/api/generate", GenerateEndpoint.Handle);
        Post(app, "/api/chat", ChatEndpoint.Handle);
        Get(app, "/api/tags", ModelEndpoints.Tags);
        Post(app, "/api/show", ModelEndpoints.Show);
        Get(app, "/api/ps", ModelEndpoints.Ps);
        Get(app, "/api/version", ModelEndpoints.Version);
        Post(app, "/api/pull", ModelEndpoints.Pull);
        app.MapMethods("/api/delete", ["DELETE"], ModelEndpoints.Delete);
        Post(app, "/api/copy", ModelEndpoints.Copy);
    }

    // RequestDelegate overloads: no parameter binding, handlers read and validate the body themselves.
    private static void Get(IEndpointRouteBuilder app, string pattern, RequestDelegate handler) => app.MapGet(pattern, handler);
    private static void Post(IEndpointRouteBuilder app, string pattern, RequestDelegate handler) => app.MapPost(pattern, handler);
}
