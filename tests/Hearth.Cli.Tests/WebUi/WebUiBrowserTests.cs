using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hearth.Tests;
using Microsoft.Playwright;

namespace Hearth.Cli.Tests.WebUi;

/// <summary>The web UI in a real headless chromium against the real server on the embedded model: chat, pull with
/// progress, delete, the dashboard under load, a bench sweep, and the key prompt. Each test writes its page's
/// screenshots (desktop and phone widths) to artifacts/webui-screenshots/.</summary>
public sealed class WebUiBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string Model = "tinystories:latest";

    [BrowserFact]
    public async Task Chat_streams_a_reply_that_matches_the_api_and_regenerates_it()
    {
        await using var server = await WebUiServer.StartAsync();
        var page = await browser.NewPageAsync(server.BaseAddress);
        // Counts DOM changes while the reply is still pending: more than one means it was shown as it streamed.
        await page.AddInitScriptAsync("""
            window.__streamUpdates = 0;
            new MutationObserver(() => { if (document.querySelector('.msg.assistant.pending')) window.__streamUpdates++; })
              .observe(document, { subtree: true, childList: true, characterData: true });
            """);
        await page.GotoAsync("/");
        await Assertions.Expect(page.Locator("#model")).ToHaveValueAsync(Model);
        await page.Locator("aside.settings input[type=range]").First.FillAsync("0"); // temperature 0: greedy, so the reply is exactly the API's
        await page.Locator("#max-tokens").FillAsync("40");
        await page.Locator("#prompt").FillAsync("Once upon a time");
        await page.Locator("#send").ClickAsync();

        var reply = page.Locator(".msg.assistant:not(.pending)");
        await Assertions.Expect(reply.Locator(".stats")).ToContainTextAsync(new Regex(@"TTFT \d+ ms · [\d.]+ tok/s · 40 tokens · length"));
        var shown = Normalize(await reply.Locator(".md").InnerTextAsync());
        Assert.True(await page.EvaluateAsync<int>("window.__streamUpdates") > 1, "the reply should appear piece by piece");

        var expected = await GreedyReplyAsync(server, "Once upon a time");
        Assert.NotEmpty(expected);
        Assert.Equal(expected, shown);

        await page.GetByRole(AriaRole.Button, new() { Name = "Regenerate" }).ClickAsync();
        await Assertions.Expect(reply.Locator(".stats")).ToContainTextAsync("40 tokens");
        Assert.Equal(expected, Normalize(await reply.Locator(".md").InnerTextAsync()));
        Assert.Equal(2, await page.Locator(".msg").CountAsync()); // regenerate replaced the reply, it did not add one

        // Edit and resend: the edited message replaces the old one and gets its own reply.
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit" }).ClickAsync();
        await Assertions.Expect(page.Locator("#prompt")).ToHaveValueAsync("Once upon a time");
        await page.Locator("#prompt").FillAsync("The little dog");
        await page.Locator("#send").ClickAsync();
        await Assertions.Expect(page.Locator(".msg.user .plain")).ToHaveTextAsync("The little dog");
        await Assertions.Expect(reply.Locator(".stats")).ToContainTextAsync("40 tokens");
        Assert.Equal(await GreedyReplyAsync(server, "The little dog"), Normalize(await reply.Locator(".md").InnerTextAsync()));
        Assert.Equal(2, await page.Locator(".msg").CountAsync());

        // The conversation is kept in this browser's localStorage.
        var stored = await page.EvaluateAsync<string>("localStorage.getItem('hearth.conversations')");
        Assert.Contains("Once upon a time", stored);
        await BrowserFixture.ScreenshotsAsync(page, "chat");
        await page.Context.CloseAsync();
    }

    [BrowserFact]
    public async Task Conversations_import_and_export_as_json_and_replies_render_markdown_without_raw_html()
    {
        await using var server = await WebUiServer.StartAsync();
        var page = await browser.NewPageAsync(server.BaseAddress);
        await page.GotoAsync("/");
        const string file = """
            {"format":"hearth.conversations.v1","conversations":[{"id":"imported-1","title":"Imported chat","model":"tinystories:latest",
             "messages":[{"role":"user","content":"Show me code"},
                         {"role":"assistant","content":"**Sure**:\n\n```python\ndef f():\n    return 1\n```\n\n<img src=x onerror=\"window.__pwned=1\">"}]}]}
            """;
        await page.Locator("aside.sidebar input[type=file]").SetInputFilesAsync(
            new FilePayload { Name = "chats.json", MimeType = "application/json", Buffer = System.Text.Encoding.UTF8.GetBytes(file) });
        await Assertions.Expect(page.Locator(".convs li.active")).ToContainTextAsync("Imported chat");
        var md = page.Locator(".msg.assistant .md");
        await Assertions.Expect(md.Locator("strong")).ToHaveTextAsync("Sure");
        await Assertions.Expect(md.Locator("pre code.language-python .hljs-keyword").First).ToHaveTextAsync("def");
        Assert.Equal(0, await md.Locator("img").CountAsync());          // model output's HTML is shown as text
        await Assertions.Expect(md).ToContainTextAsync("<img src=x");
        Assert.Null(await page.EvaluateAsync<int?>("window.__pwned"));

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Export" }).ClickAsync());
        var exported = JsonNode.Parse(await File.ReadAllTextAsync((await download.PathAsync())!))!;
        Assert.Equal("hearth.conversations.v1", exported["format"]!.GetValue<string>());
        var imported = exported["conversations"]!.AsArray().Single(c => c!["id"]!.GetValue<string>() == "imported-1")!;
        Assert.Equal("Show me code", imported["messages"]![0]!["content"]!.GetValue<string>());

        await page.Locator("aside.sidebar input[type=file]").SetInputFilesAsync(
            new FilePayload { Name = "bad.json", MimeType = "application/json", Buffer = "{\"nothing\":1}"u8.ToArray() });
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Import failed: not a Hearth conversations file");
        await page.Context.CloseAsync();
    }

    [BrowserFact]
    public async Task Models_page_pulls_from_a_url_with_live_progress_then_deletes_after_confirmation()
    {
        await using var server = await WebUiServer.StartAsync();
        await using var files = await SlowGgufServer.StartAsync(TestPaths.EmbeddedModel);
        var page = await browser.NewPageAsync(server.BaseAddress);
        await page.GotoAsync("/#/models");
        await Assertions.Expect(page.Locator($"tr[data-model='{Model}']")).ToBeVisibleAsync();

        await page.Locator("#pull-name").FillAsync(files.UrlOf("webui-pulled.gguf"));
        await page.Locator("#pull").ClickAsync();
        // The file server holds back the second half: the bar must show a value strictly between 0 and 100 first.
        await page.WaitForFunctionAsync("() => { const v = Number(document.querySelector('#pull-bar')?.value); return v > 0 && v < 100; }");
        var midway = await page.Locator("#pull-percent").InnerTextAsync();
        files.ReleaseSecondHalf();
        await Assertions.Expect(page.Locator("#pull-percent")).ToHaveTextAsync("100 %");
        await Assertions.Expect(page.Locator(".pull-progress")).ToContainTextAsync("success");
        Assert.Matches(@"^([1-9]|[1-9]\d) %$", midway);

        var row = page.Locator("tr[data-model='webui-pulled:latest']");
        await Assertions.Expect(row).ToBeVisibleAsync();
        Assert.NotNull(server.Store.Find("webui-pulled"));
        await row.Locator("td").First.Locator("button").ClickAsync();
        await Assertions.Expect(page.Locator("#model-details")).ToContainTextAsync("llama");
        await BrowserFixture.ScreenshotsAsync(page, "models");

        await row.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Assertions.Expect(page.Locator(".modal")).ToContainTextAsync("Delete webui-pulled:latest?");
        await page.Locator("#confirm-delete").ClickAsync();
        await Assertions.Expect(row).ToHaveCountAsync(0);
        Assert.Null(server.Store.Find("webui-pulled"));
        await Assertions.Expect(page.Locator($"tr[data-model='{Model}']")).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    [BrowserFact]
    public async Task Dashboard_charts_move_under_load_and_the_request_log_fills()
    {
        await using var server = await WebUiServer.StartAsync();
        var page = await browser.NewPageAsync(server.BaseAddress);
        await page.GotoAsync("/#/dashboard");
        var tokens = page.Locator("figure[data-chart='Output tokens/s']");
        await Assertions.Expect(tokens).ToHaveAttributeAsync("data-max", "0");

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var load = Enumerable.Range(0, 4).Select(i => Task.Run(async () =>
        {
            for (var n = 0; n < 200 && !stop.IsCancellationRequested; n++)
            {
                var body = new { model = Model, max_tokens = 48, seed = n * 4 + i, messages = new[] { new { role = "user", content = "Tell me a story" } } };
                using var r = await server.Http.PostAsJsonAsync("v1/chat/completions", body, stop.Token);
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            }
        })).ToArray();
        try
        {
            await page.WaitForFunctionAsync("() => Number(document.querySelector(\"figure[data-chart='Output tokens/s']\").dataset.max) > 0",
                null, new() { Timeout = 45_000 });
            await page.WaitForFunctionAsync("() => Number(document.querySelector(\"figure[data-chart='Time to first token']\").dataset.max) > 0",
                null, new() { Timeout = 45_000 });
            await Assertions.Expect(page.Locator("#request-log tbody tr").First).ToContainTextAsync("/v1/chat/completions");
            await Assertions.Expect(tokens).ToHaveAttributeAsync("data-points", new Regex("^([4-9]|\\d\\d+)$")); // a few samples for the picture
            await BrowserFixture.ScreenshotsAsync(page, "dashboard");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(load.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        }
        Assert.All(load.Where(t => t.IsFaulted), t => Assert.IsType<TaskCanceledException>(t.Exception!.InnerException));
        await page.Context.CloseAsync();
    }

    [BrowserFact]
    public async Task Bench_page_runs_a_sweep_against_this_server_and_charts_it()
    {
        await using var server = await WebUiServer.StartAsync();
        var page = await browser.NewPageAsync(server.BaseAddress);
        await page.GotoAsync("/#/bench");
        await Assertions.Expect(page.Locator("#bench-model")).ToHaveValueAsync(Model);
        await page.Locator("#bench-levels").FillAsync("1,2");
        await page.GetByLabel("Requests per level").FillAsync("4");
        await page.GetByLabel("Input tokens").FillAsync("16");
        await page.GetByLabel("Output tokens").FillAsync("16");
        await page.Locator("#bench-run").ClickAsync();
        var rows = page.Locator("#bench-report tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(2, new() { Timeout = 60_000 });
        for (var i = 0; i < 2; i++)
        {
            var cells = await rows.Nth(i).Locator("td").AllInnerTextsAsync();
            Assert.Equal(["this server", (i + 1).ToString(), "4", "0"], cells.Take(4));
        }
        await Assertions.Expect(page.Locator("#bench-report figure[data-chart='Output throughput']")).ToHaveAttributeAsync("data-points", "2");
        await BrowserFixture.ScreenshotsAsync(page, "bench");
        await page.Context.CloseAsync();
    }

    [BrowserFact]
    public async Task With_keys_the_page_asks_for_one_refuses_a_wrong_one_and_keeps_it_in_session_storage_only()
    {
        const string key = "webui-test-key";
        await using var server = await WebUiServer.StartAsync(key);
        var page = await browser.NewPageAsync(server.BaseAddress);
        var response = await page.GotoAsync("/");
        var csp = response!.Headers["content-security-policy"];
        Assert.Contains("default-src 'none'", csp);
        Assert.Contains("script-src 'self'", csp);
        Assert.Contains("connect-src 'self'", csp);

        await Assertions.Expect(page.Locator("#api-key")).ToBeVisibleAsync();
        Assert.Equal(401, await page.EvaluateAsync<int>("fetch('/api/tags').then(r => r.status)"));
        Assert.Equal(0, await page.Locator("nav").CountAsync());
        await BrowserFixture.ScreenshotsAsync(page, "key-prompt");

        await page.Locator("#api-key").FillAsync("wrong-key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Incorrect API key");
        Assert.Equal(0, await page.Locator("nav").CountAsync());

        await page.Locator("#api-key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Assertions.Expect(page.Locator("nav")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#model")).ToHaveValueAsync(Model); // the page's own calls carry the key
        Assert.Equal(key, await page.EvaluateAsync<string>("sessionStorage.getItem('hearth.apiKey')"));
        Assert.DoesNotContain(key, await page.EvaluateAsync<string>("JSON.stringify(localStorage)"));
        await page.Context.CloseAsync();
    }

    private static async Task<string> GreedyReplyAsync(WebUiServer server, string prompt)
    {
        using var api = await server.Http.PostAsJsonAsync("v1/chat/completions", new
        {
            model = Model, temperature = 0, max_tokens = 40, messages = new[] { new { role = "user", content = prompt } },
        });
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        return Normalize(JsonNode.Parse(await api.Content.ReadAsStringAsync())!["choices"]![0]!["message"]!["content"]!.ToString());
    }

    private static string Normalize(string text) => Regex.Replace(text, @"\s+", " ").Trim();
}
