using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hearth.Cli.Support;

/// <summary>Talks to a running Hearth server's Ollama API (/health, /api/ps, /api/generate, /api/chat).</summary>
internal sealed class ServerClient(Uri baseUri) : IChatBackend
{
    private readonly HttpClient _http = new() { BaseAddress = baseUri, Timeout = Timeout.InfiniteTimeSpan };

    public Uri BaseUri => baseUri;

    /// <summary>True when a server answers /health within <paramref name="timeout"/>.</summary>
    public async Task<bool> IsUpAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            using var response = await _http.GetAsync("health", cts.Token);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException || e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public async Task<JsonObject> GetAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, path), HttpCompletionOption.ResponseContentRead, cancellationToken);
        return await ReadObjectAsync(response, cancellationToken);
    }

    public async Task<JsonObject> PostAsync(string path, JsonObject body, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonBody.Create(body) };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        return await ReadObjectAsync(response, cancellationToken);
    }

    /// <summary>POST /api/chat with stream:true; yields each message.content piece of the NDJSON stream.</summary>
    public async IAsyncEnumerable<string> ChatAsync(string model, IReadOnlyList<ChatMessage> messages, JsonObject options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["model"] = model,
            ["messages"] = new JsonArray(messages.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role, ["content"] = m.Content }).ToArray()),
            ["stream"] = true,
            ["options"] = options.DeepClone(),
        };
        var request = new HttpRequestMessage(HttpMethod.Post, "api/chat") { Content = JsonBody.Create(body) };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode) await ReadObjectAsync(response, cancellationToken); // throws with the server's message
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken), Encoding.UTF8);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0) continue;
            JsonObject chunk;
            try
            {
                chunk = JsonNode.Parse(line) as JsonObject ?? throw new CliException($"the server sent a non-object line: {line}");
            }
            catch (JsonException)
            {
                throw new CliException($"the server sent invalid JSON: {line}");
            }
            if (chunk["error"] is { } error) throw new CliException(ErrorText(error));
            if (chunk["message"]?["content"]?.GetValue<string>() is { Length: > 0 } content) yield return content;
            if (chunk["done"]?.GetValue<bool>() == true) yield break;
        }
        throw new CliException("the server closed the stream before the answer was done");
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        using (request)
        {
            try
            {
                return await _http.SendAsync(request, completion, cancellationToken);
            }
            catch (HttpRequestException e)
            {
                throw new CliException($"could not connect to a Hearth server at {baseUri} ({e.Message}); start one with `hearth serve`");
            }
        }
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonObject? json = null;
        try
        {
            json = text.Length > 0 ? JsonNode.Parse(text) as JsonObject : null;
        }
        catch (JsonException)
        {
            json = null; // a non-JSON body: report the status instead
        }
        if (!response.IsSuccessStatusCode)
        {
            var message = json?["error"] is { } error ? ErrorText(error) : $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
            throw new CliException(response.StatusCode == HttpStatusCode.Unauthorized ? message + " (the server needs an API key)" : message);
        }
        return json ?? throw new CliException($"the server answered with something that is not a JSON object: {text[..Math.Min(text.Length, 200)]}");
    }

    /// <summary>Ollama errors are {"error":"text"}; OpenAI-style ones are {"error":{"message":…}}.</summary>
    private static string ErrorText(JsonNode error) =>
        error is JsonValue v && v.TryGetValue<string>(out var s) ? s : error["message"]?.ToString() ?? error.ToJsonString();

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
