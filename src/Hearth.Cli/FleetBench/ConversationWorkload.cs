using Hearth.Cli.Support;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hearth.Cli.FleetBench;

/// <summary>A multi-turn chat workload: each conversation opens with its own story start and adds a user turn after
/// every reply, so each turn's prompt extends the previous turn's prompt and reply (the growing shared prefix a
/// prefix cache is for). Conversations run in parallel (at most <see cref="Concurrency"/> at once), each one's turns
/// in order; greedy decoding, so every run of the same workload sends the same prompts.</summary>
public sealed record ConversationWorkload(int Conversations, int Turns, int Concurrency, int MaxTokens, int Seed = 7)
{
    private static readonly string[] Names = ["Lily", "Tom", "Sue", "Ben", "Max", "Mia", "Sam", "Anna", "Tim", "Lucy", "Jack", "Emma"];
    private static readonly string[] Places = ["park", "garden", "forest", "beach", "house", "school", "farm", "river", "hill", "shop"];
    private static readonly string[] Things = ["ball", "cat", "box", "kite", "dog", "tree", "boat", "cake", "bird", "toy", "flower", "hat"];
    private static readonly string[] Feelings = ["happy", "sad", "scared", "brave", "tired", "excited", "kind", "curious"];

    /// <summary>One request's result: time to its first content token and the tokens it generated.</summary>
    public sealed record TurnResult(int Conversation, int Turn, TimeSpan TimeToFirstToken, TimeSpan Total, int CompletionTokens);

    /// <summary>Runs every conversation against <paramref name="chatUrl"/> (an OpenAI chat completions URL) as
    /// <paramref name="model"/>, streaming, and returns one result per turn. A failed request throws: a benchmark
    /// with lost requests has no meaning.</summary>
    public async Task<List<TurnResult>> RunAsync(HttpClient http, Uri chatUrl, string model, CancellationToken ct)
    {
        var results = new List<TurnResult>();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Math.Min(Concurrency, Conversations)).Select(async _ =>
        {
            int c;
            while ((c = Interlocked.Increment(ref next)) < Conversations)
            {
                var turns = await RunConversationAsync(http, chatUrl, model, c, ct);
                lock (results) results.AddRange(turns);
            }
        }));
        return results;
    }

    private async Task<List<TurnResult>> RunConversationAsync(HttpClient http, Uri chatUrl, string model, int conversation, CancellationToken ct)
    {
        var rng = new Random(HashCode.Combine(Seed, conversation));
        var messages = new JsonArray();
        var results = new List<TurnResult>();
        for (var turn = 0; turn < Turns; turn++)
        {
            messages.Add((JsonNode)new JsonObject { ["role"] = "user", ["content"] = UserTurn(rng, conversation, turn) });
            var body = new JsonObject
            {
                ["model"] = model,
                ["messages"] = messages.DeepClone(),
                ["max_tokens"] = MaxTokens,
                ["temperature"] = 0,
                ["stream"] = true,
                ["stream_options"] = new JsonObject { ["include_usage"] = true },
            };
            var (reply, result) = await SendAsync(http, chatUrl, body, conversation, turn, ct);
            results.Add(result);
            messages.Add((JsonNode)new JsonObject { ["role"] = "assistant", ["content"] = reply });
        }
        return results;
    }

    /// <summary>A story sentence: the first turn names the conversation's own characters, later turns ask for more.</summary>
    private static string UserTurn(Random rng, int conversation, int turn)
    {
        string Pick(string[] words) => words[rng.Next(words.Length)];
        return turn == 0
            ? $"Once upon a time, {Names[conversation % Names.Length]} and {Pick(Names)} went to the {Pick(Places)} number {conversation} to find a {Pick(Things)}. They felt {Pick(Feelings)}."
            : $"Then {Pick(Names)} saw a {Pick(Feelings)} {Pick(Things)} near the {Pick(Places)} and said hello to it.";
    }

    private static async Task<(string Reply, TurnResult Result)> SendAsync(HttpClient http, Uri chatUrl, JsonObject body, int conversation, int turn, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        using var request = new HttpRequestMessage(HttpMethod.Post, chatUrl) { Content = JsonBody.Create(body) };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"conversation {conversation} turn {turn}: HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        var reply = new StringBuilder();
        TimeSpan? ttft = null;
        var tokens = 0;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal) || line == "data: [DONE]") continue;
            var chunk = JsonNode.Parse(line.AsSpan(6).ToString())!.AsObject();
            if (chunk["error"] is not null) throw new HttpRequestException($"conversation {conversation} turn {turn}: {chunk["error"]!.ToJsonString()}");
            if (chunk["usage"] is JsonObject usage && usage["completion_tokens"] is JsonValue ct2) tokens = ct2.GetValue<int>();
            if (chunk["choices"] is JsonArray { Count: > 0 } choices && choices[0]!["delta"]?["content"] is JsonValue content
                && content.GetValueKind() == JsonValueKind.String && content.GetValue<string>() is { Length: > 0 } text)
            {
                ttft ??= Stopwatch.GetElapsedTime(started);
                reply.Append(text);
            }
        }
        var total = Stopwatch.GetElapsedTime(started);
        return (reply.ToString(), new TurnResult(conversation, turn, ttft ?? total, total, tokens));
    }
}
