using Hearth.Engine;
using Hearth.Engine.Embeddings;
using Hearth.Engine.Models;
using Hearth.Server.Generation;
using Hearth.Server.Http;
using Hearth.Store.Hosting;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.Embeddings;

/// <summary>Takes a model for an embedding or rerank request and checks that it can serve it: a generation model
/// asked for embeddings, an embedding model asked to rank (or the reverse) is a 400 that says so.</summary>
internal static class EmbeddingModels
{
    public static async Task<(ModelLease Lease, IEmbeddingEngine Embedder, TimeSpan LoadTime)> AcquireAsync(
        HttpContext ctx, string? name, bool ranking, TimeSpan? keepAlive = null)
    {
        var (lease, loadTime) = await ModelAccess.AcquireAsync(ctx, name, keepAlive);
        try
        {
            var model = lease.Model;
            if (model.Embedder is not { } embedder)
                throw ApiException.BadRequest(
                    $"model '{model.Name}' is a generation model ({model.Shape.Architecture}); it does not serve {(ranking ? "reranking" : "embeddings")}. Load an embedding model (bert, nomic-bert){(ranking ? " with a classification head" : "")}", "model", "model_not_supported");
            bool ranks = embedder.Shape.Pooling == PoolingType.Rank;
            if (ranking && !ranks)
                throw ApiException.BadRequest($"model '{model.Name}' is an embedding model, not a reranker (its pooling is {embedder.Shape.Pooling.ToString().ToLowerInvariant()}, not rank)", "model", "model_not_supported");
            if (!ranking && ranks)
                throw ApiException.BadRequest($"model '{model.Name}' is a reranker (rank pooling); use /v1/rerank or /score", "model", "model_not_supported");
            return (lease, embedder, loadTime);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }
}
