using Microsoft.Playwright;

namespace Hearth.Cli.Tests.WebUi;

/// <summary>Debian's chromium (never Playwright's own download), headless, driven by Playwright. HEARTH_CHROMIUM names
/// another binary. Screenshots go to artifacts/webui-screenshots/ at the repository root.</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public static string ChromiumPath => Environment.GetEnvironmentVariable("HEARTH_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";
    public static string ScreenshotDir => Path.Combine(Hearth.Tests.TestPaths.RepoRoot, "artifacts", "webui-screenshots");

    public static readonly (string Name, int Width, int Height)[] Viewports = [("desktop", 1280, 800), ("phone", 390, 844)];

    private IPlaywright? _playwright;
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            if (Environment.GetEnvironmentVariable("HEARTH_REQUIRE_BROWSER") == "1")
                throw new FileNotFoundException($"HEARTH_REQUIRE_BROWSER=1 but there is no chromium at {ChromiumPath}", ChromiumPath);
            return; // the tests skip themselves (BrowserFact) with the reason
        }
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        Assertions.SetDefaultExpectTimeout(30_000); // a loaded CI machine: waits end as soon as the condition holds
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-extensions",
                    "--disable-sync", "--no-first-run", "--mute-audio"],
            Timeout = 60_000,
        });
        Directory.CreateDirectory(ScreenshotDir);
    }

    public async Task<IPage> NewPageAsync(Uri baseAddress)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            ColorScheme = ColorScheme.Light,
        });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    /// <summary>Writes NAME-desktop.png and NAME-phone.png of the page as it is now.</summary>
    public static async Task ScreenshotsAsync(IPage page, string name)
    {
        foreach (var (label, width, height) in Viewports)
        {
            await page.SetViewportSizeAsync(width, height);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDir, $"{name}-{label}.png"), FullPage = false });
        }
        await page.SetViewportSizeAsync(Viewports[0].Width, Viewports[0].Height);
    }

    public async Task DisposeAsync()
    {
        if (_playwright is null) return;
        await Browser.CloseAsync();
        _playwright.Dispose();
    }
}

/// <summary>A browser test: skipped, with the reason, on a machine without chromium; `.ci/run` installs it and sets
/// HEARTH_REQUIRE_BROWSER=1, under which a missing chromium fails the tests instead.</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (!File.Exists(BrowserFixture.ChromiumPath) && Environment.GetEnvironmentVariable("HEARTH_REQUIRE_BROWSER") != "1")
            Skip = $"no chromium at {BrowserFixture.ChromiumPath} (apt-get install chromium; .ci/run does)";
    }
}
