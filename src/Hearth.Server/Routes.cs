using Hearth.Server.Cluster;
using Hearth.Server.Embeddings;
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
        var r = new RouteTable(app);
        // Health and observability (/health needs no API key and answers before any model is loaded)
        r.Get("/health", HealthEndpoints.Health);
        r.Get("/ready", HealthEndpoints.Ready);
        r.Get("/metrics", HealthEndpoints.Metrics);
        r.Get("/", HealthEndpoints.Root);

        // OpenAI-compatible API
        r.Post("/v1/chat/completions", ChatCompletionsEndpoint.Handle);
        r.Post("/v1/completions", CompletionsEndpoint.Handle);
        r.Post("/v1/responses", ResponsesEndpoint.Create);
        r.Get("/v1/responses/{id}", ResponsesEndpoint.Get);
        r.Delete("/v1/responses/{id}", ResponsesEndpoint.Delete);
        r.Get("/v1/models", ModelsEndpoint.List);
        r.Get("/v1/models/{id}", ModelsEndpoint.Get);
        r.Post("/v1/load_lora_adapter", LoraAdapterEndpoints.Load);
        r.Post("/v1/unload_lora_adapter", LoraAdapterEndpoints.Unload);
        r.Get("/lora-adapters", LoraAdapterEndpoints.List);

        // Cache-aware routing: the prefix cache as events, and the block hashes a prompt would look up
        r.Get("/v1/kv_events", KvEventsEndpoint.Handle);
        r.Post("/v1/prefix_hashes", PrefixHashesEndpoint.Handle);

        // Anthropic-compatible API
        r.Post("/v1/messages", MessagesEndpoint.Handle);
        r.Post("/v1/messages/count_tokens", MessagesEndpoint.CountTokens);

        // Embeddings and reranking (encoder models)
        r.Post("/v1/embeddings", OpenAiEmbeddingsEndpoint.Handle);
        r.Post("/v1/rerank", RerankEndpoints.Rerank);
        r.Post("/rerank", RerankEndpoints.Rerank);
        r.Post("/score", RerankEndpoints.Score);
        r.Post("/v1/score", RerankEndpoints.Score);
        r.Post("/api/embed", OllamaEmbedEndpoints.Embed);
        r.Post("/api/embeddings", OllamaEmbedEndpoints.Embeddings);

        // Ollama-compatible API
        r.Post("/api/generate", GenerateEndpoint.Handle);
        r.Post("/api/chat", ChatEndpoint.Handle);
        r.Get("/api/tags", ModelEndpoints.Tags);
        r.Post("/api/show", ModelEndpoints.Show);
        r.Get("/api/ps", ModelEndpoints.Ps);
        r.Get("/api/version", ModelEndpoints.Version);
        r.Post("/api/pull", ModelEndpoints.Pull);
        r.Delete("/api/delete", ModelEndpoints.Delete);
        r.Post("/api/copy", ModelEndpoints.Copy);

        r.MapOptions();
    }

    /// <summary>Maps handlers and remembers each path's methods: GET routes answer HEAD too (Kestrel sends the
    /// headers without the body), and every path answers OPTIONS with 204 and an Allow header.</summary>
    private sealed class RouteTable(IEndpointRouteBuilder app)
    {
        private readonly Dictionary<string, List<string>> _methods = new(StringComparer.Ordinal);

        // RequestDelegate overloads: no parameter binding, handlers read and validate the body themselves.
        public void Get(string pattern, RequestDelegate handler) => Add(pattern, ["GET", "HEAD"], handler);
        public void Post(string pattern, RequestDelegate handler) => Add(pattern, ["POST"], handler);
        public void Delete(string pattern, RequestDelegate handler) => Add(pattern, ["DELETE"], handler);

        private void Add(string pattern, string[] methods, RequestDelegate handler)
        {
            app.MapMethods(pattern, methods, handler);
            if (!_methods.TryGetValue(pattern, out var list)) _methods[pattern] = list = [];
            list.AddRange(methods);
        }

        public void MapOptions()
        {
            foreach (var (pattern, methods) in _methods)
            {
                var allow = string.Join(", ", methods.Append("OPTIONS"));
                app.MapMethods(pattern, ["OPTIONS"], ctx =>
                {
                    ctx.Response.StatusCode = StatusCodes.Status204NoContent;
                    ctx.Response.Headers.Allow = allow;
                    return Task.CompletedTask;
                });
            }
        }
    }
}
