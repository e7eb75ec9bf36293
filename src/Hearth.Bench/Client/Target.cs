namespace Hearth.Bench.Client;

/// <summary>Which OpenAI endpoint to call: /v1/chat/completions (messages) or /v1/completions (raw prompt).</summary>
public enum EndpointKind { Chat, Completions }

/// <summary>One server under test: a label for reports, its base URL (with or without a trailing /v1), the
/// model name to send, and an optional bearer key.</summary>
public sealed record Target(string Label, Uri BaseUrl, string Model, string? ApiKey = null)
{
    /// <summary>Model names sent round-robin, one per request (e.g. several LoRA adapters served as models); null or
    /// empty: <see cref="Model"/> for every request.</summary>
    public IReadOnlyList<string>? Models { get; init; }

    /// <summary>The model name of the <paramref name="n"/>-th request.</summary>
    public string ModelFor(long n) => Models is { Count: > 0 } m ? m[(int)(n % m.Count)] : Model;

    /// <summary>The endpoint URL: base URL without a trailing "/" or "/v1", then /v1/chat/completions or /v1/completions.</summary>
    public Uri EndpointUrl(EndpointKind kind) => new(Root() + (kind == EndpointKind.Chat ? "/v1/chat/completions" : "/v1/completions"));

    /// <summary>POST /v1/embeddings on the same server.</summary>
    public Uri EmbeddingsUrl() => new(Root() + "/v1/embeddings");

    private string Root()
    {
        var baseText = BaseUrl.ToString().TrimEnd('/');
        return baseText.EndsWith("/v1", StringComparison.OrdinalIgnoreCase) ? baseText[..^3] : baseText;
    }

    /// <summary>Parses a user-given URL; only http and https are accepted.</summary>
    public static bool TryParseUrl(string text, out Uri url) =>
        Uri.TryCreate(text, UriKind.Absolute, out url!) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps);
}
