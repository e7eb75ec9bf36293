using System.Security.Cryptography;
using System.Text;
using Hearth.Server.WebUi;
using Hearth.Tests;

namespace Hearth.Server.Tests.WebUi;

/// <summary>The committed bundle is what webui/build.sh makes from the committed sources: the hash build.sh stored
/// (source-hash.mjs) is recomputed here without npm, so a source change without a rebuild fails CI.</summary>
public sealed class WebUiBundleTests
{
    private static string WebUiDir => Path.Combine(TestPaths.RepoRoot, "webui");
    private static string DistDir => Path.Combine(TestPaths.RepoRoot, "src", "Hearth.Server", "WebUi", "dist");

    [Fact]
    public void Committed_bundle_was_built_from_the_committed_sources()
    {
        var files = new List<string> { "index.html", "vite.config.js", "package.json", "package-lock.json" };
        foreach (var dir in new[] { "src", "public" })
            files.AddRange(Directory.EnumerateFiles(Path.Combine(WebUiDir, dir), "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(WebUiDir, f).Replace('\\', '/')));
        files.Sort(StringComparer.Ordinal);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var f in files)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(f + "\n"));
            sha.AppendData(File.ReadAllBytes(Path.Combine(WebUiDir, f)));
            sha.AppendData("\n"u8);
        }
        var expected = File.ReadAllText(Path.Combine(DistDir, "source.sha256")).Trim();
        Assert.True(expected == Convert.ToHexStringLower(sha.GetHashAndReset()),
            "webui/ changed since the bundle was built: run `bash webui/build.sh` and commit src/Hearth.Server/WebUi/dist");
    }

    [Fact]
    public void Every_built_file_is_embedded_and_the_page_names_only_embedded_assets()
    {
        var assets = new WebUiAssets();
        var built = Directory.EnumerateFiles(DistDir).Select(Path.GetFileName).Where(f => f != "source.sha256").Order().ToArray();
        Assert.Equal(built, assets.Paths.Order().ToArray());
        var html = Encoding.UTF8.GetString(assets.Find("index.html")!.Body);
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(html, "(?:src|href)=\"/ui/([^\"]+)\""))
            Assert.NotNull(assets.Find(m.Groups[1].Value));
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html); // no CDN: everything comes from this server
    }
}
