using System.Text.Json.Nodes;

namespace Hearth.Cli.Support;

/// <summary>One chat turn.</summary>
internal sealed record ChatMessage(string Role, string Content);

/// <summary>Where `hearth run` sends a chat: a running server, or an engine in this process.</summary>
internal interface IChatBackend : IAsyncDisposable
{
    /// <summary>Streams the assistant's answer as text pieces. <paramref name="options"/> are Ollama options
    /// (temperature, num_predict, stop …) set with /set parameter.</summary>
    IAsyncEnumerable<string> ChatAsync(string model, IReadOnlyList<ChatMessage> messages, JsonObject options, CancellationToken cancellationToken);
}
