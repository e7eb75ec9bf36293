using System.ClientModel;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Tests;
using OpenAI;
using OpenAI.Chat;

namespace Hearth.Cli.Tests.EndToEnd;

/// <summary>What the README promises: the embedded model served over real HTTP answers real clients correctly,
/// under concurrency, and a client that disappears mid-stream leaves no KV blocks behind.</summary>
public class EmbeddedModelServerTests(EmbeddedModelServer server) : IClassFixture<EmbeddedModelServer>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    private HttpClient Http() => new() { BaseAddress = server.BaseAddress, Timeout = Limit };

    private ChatClient Chat() => new(EmbeddedModelServer.ModelName, new ApiKeyCredential("unused"),
        new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") });

    [SharedFact]
    public async Task GreedyCompletionMatchesLlamaCppUpToTheFirstNearTie()
    {
        // llama.cpp's greedy continuations of the same file; take the public prompt with the longest run of steps
        // whose top-2 margin is clear (past a near tie both continuations are right) and compare that run.
        var (reference, clear) = Enumerable.Range(1, 6)
            .Select(n => JsonNode.Parse(File.ReadAllText(TestPaths.SharedFile("reference", "models", $"tinystories-656k-q8_0.p{n}.json")!))!)
            .Select(r => (r, ClearSteps(r)))
            .MaxBy(x => x.Item2);
        Assert.True(clear >= 8, "a reference prompt should have at least 8 clear steps");
        var expected = Encoding.UTF8.GetString(reference["greedy_pieces_hex"]!.AsArray().Take(clear)
            .SelectMany(h => Convert.FromHexString(h!.GetValue<string>())).ToArray());

        using var http = Http();
        var response = await http.PostAsJsonAsync("v1/completions", new
        {
            model = EmbeddedModelServer.ModelName,
            prompt = reference["prompt"]!.GetValue<string>(),
            max_tokens = clear,
            temperature = 0,
        });
        response.EnsureSuccessStatusCode();
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(expected, body["choices"]![0]!["text"]!.GetValue<string>());
        Assert.Equal(clear, body["usage"]!["completion_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task SixtyFourConcurrentStreamsAllFinishWithTheSameTextAsOneAlone()
    {
        string[] prompts = ["Once upon a time", "Tom had a red ball.", "The cat sat", "Lily went to the park", "One day, a dog", "The sun was hot.", "Sam and Mia", "A little bird"];
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 24 };
        var chat = Chat();
        var alone = new Dictionary<string, string>();
        foreach (var p in prompts)
            alone[p] = (await chat.CompleteChatAsync([new UserChatMessage(p)], options)).Value.Content[0].Text;

        using var cts = new CancellationTokenSource(Limit);
        var streams = Enumerable.Range(0, 64).Select(async i =>
        {
            var prompt = prompts[i % prompts.Length];
            var text = new StringBuilder();
            ChatFinishReason? finish = null;
            await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage(prompt)], options, cts.Token))
            {
                foreach (var part in update.ContentUpdate) text.Append(part.Text);
                finish ??= update.FinishReason;
            }
            return (prompt, text: text.ToString(), finish);
        }).ToList();
        var results = await Task.WhenAll(streams);

        Assert.All(results, r =>
        {
            Assert.NotNull(r.finish);
            Assert.Equal(alone[r.prompt], r.text);
        });
    }

    [Fact]
    public async Task AClientKilledMidStreamLeavesNoKvBlocksAllocated()
    {
        // Three companion requests share every engine step with the victim, so the victim's 16 × 480 tokens take several
        // times longer than the moment it takes to notice the disconnect, however fast the machine (alone it finishes in
        // about a second, which a loaded CI machine could let it reach before the disconnect is seen).
        object Body(bool stream) => new { model = EmbeddedModelServer.ModelName, prompt = "Once upon a time", max_tokens = 480, n = 16, temperature = 1, ignore_eos = true, stream };
        using var companionHttp = Http();
        var companions = Enumerable.Range(0, 3).Select(_ => companionHttp.PostAsJsonAsync("v1/completions", Body(false))).ToArray();
        using (var http = Http())
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = JsonContent.Create(Body(true)) };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            int events = 0;
            while (events < 3 && await reader.ReadLineAsync() is { } line)
                if (line.StartsWith("data: {", StringComparison.Ordinal)) events++;
            Assert.Equal(3, events);
            // Leaving this block drops the connection with the stream still running.
        }

        // The companions run to their full length; only the victim can end as an abort.
        foreach (var reply in await Task.WhenAll(companions))
        {
            reply.EnsureSuccessStatusCode();
            var choices = JsonNode.Parse(await reply.Content.ReadAsStringAsync())!["choices"]!.AsArray();
            Assert.All(choices, c => Assert.Equal("length", c!["finish_reason"]!.GetValue<string>()));
        }

        using var probe = Http();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        (double used, double running) = (-1, -1);
        while (DateTime.UtcNow < deadline)
        {
            var metrics = await probe.GetStringAsync("metrics");
            used = Gauge(metrics, "hearth:kv_cache_blocks_used");
            running = Gauge(metrics, "hearth:num_requests_running");
            if (used == 0 && running == 0) break;
            await Task.Delay(50);
        }
        Assert.Equal((0.0, 0.0), (used, running));
        // The victim ended because its client left, not because it ran to its 480 tokens.
        var final = await probe.GetStringAsync("metrics");
        Assert.Contains(final.Split('\n'), l => l.StartsWith("hearth:request_success_total{", StringComparison.Ordinal)
            && l.Contains("finished_reason=\"abort\"", StringComparison.Ordinal) && !l.EndsWith(" 0", StringComparison.Ordinal));
    }

    private static int ClearSteps(JsonNode reference)
    {
        double minMargin = reference["suggested_tolerance"]!["argmax_min_margin"]!.GetValue<double>();
        var margins = reference["top2_margin_per_step"]!.AsArray().Select(m => m!.GetValue<double>()).ToList();
        int firstTie = margins.FindIndex(m => m < minMargin);
        int steps = firstTie >= 0 ? firstTie : margins.Count;
        // A final end-of-generation token has no text piece of its own.
        return reference["stop_reason"]!.GetValue<string>() == "eog" ? Math.Min(steps, margins.Count - 1) : steps;
    }

    /// <summary>The value of a one-model gauge in Prometheus text format.</summary>
    private static double Gauge(string metrics, string name)
    {
        var line = metrics.Split('\n').Single(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal));
        return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }
}
