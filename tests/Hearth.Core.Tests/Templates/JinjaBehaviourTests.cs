using System.Text.Json.Nodes;
using Hearth.Core.Templates;

namespace Hearth.Core.Tests.Templates;

/// <summary>Errors with positions, globals, JSON input conversion and concurrency.</summary>
public class JinjaBehaviourTests
{
    private static string Render(string t, string ctx = "{}") => JinjaLanguageTests.Render(t, ctx);

    [Theory]
    [InlineData("line one\n{{ 1 + }}", 2, "unexpected end of print statement")]
    [InlineData("{% if x %}\nabc", 2, "Unexpected end of template")]
    [InlineData("a\nb\n{% endfor %}", 3, "Encountered unknown tag 'endfor'")]
    [InlineData("{% frobnicate %}", 1, "Encountered unknown tag 'frobnicate'")]
    [InlineData("\n\n  {{ 'abc }}", 3, "unexpected end of string")]
    [InlineData("{# never closed", 1, "Missing end of comment tag")]
    [InlineData("{{ (1 }}", 1, "unexpected '}'")]
    public void SyntaxErrorsNameTheLine(string template, int line, string reason)
    {
        var e = Assert.Throws<TemplateException>(() => ChatTemplate.Parse(template));
        Assert.Equal(line, e.Line);
        Assert.Contains(reason, e.Reason);
        Assert.Contains($"line {line}", e.Message);
    }

    [Theory]
    [InlineData("ok\n{{ x.y }}", 2, 6, "'x' is undefined")]
    [InlineData("\n\n{{ x + 1 }}", 3, 6, "'x' is undefined")]
    [InlineData("{% for m in messages %}\n  {{ m.content + 1 }}\n{% endfor %}", 2, 16, "can only concatenate str (not \"int\") to str")]
    [InlineData("a\n{{ raise_exception('System role not supported') }}", 2, 4, "System role not supported")]
    [InlineData("{{ 1 // 0 }}", 1, 6, "integer division or modulo by zero")]
    [InlineData("{{ [1].append(2) }}", 1, 8, "access to attribute 'append' of 'list' object is unsafe.")]
    [InlineData("{{ 3|nosuchfilter }}", 1, 6, "No filter named 'nosuchfilter'.")]
    [InlineData("{{ 'a' is nosuchtest }}", 1, 8, "No test named 'nosuchtest'.")]
    [InlineData("{{ 5|tojson }}{{ x|tojson }}", 1, 20, "Object of type Undefined is not JSON serializable")]
    [InlineData("{% set a, b = [1] %}", 1, 8, "not enough values to unpack (expected 2, got 1)")]
    // The column is that of the failing operation: the operator, attribute name, filter name or call.
    public void RuntimeErrorsNameTheLine(string template, int line, int column, string reason)
    {
        var parsed = ChatTemplate.Parse(template);
        var e = Assert.Throws<TemplateException>(() => parsed.Render(JsonNode.Parse("""{"messages": [{"role": "user", "content": "hi"}]}""")!.AsObject()));
        Assert.Equal(reason, e.Reason);
        Assert.Equal(line, e.Line);
        Assert.Equal(column, e.Column);
        Assert.Equal($"{reason} (template line {line}, column {column})", e.Message);
    }

    [Fact]
    public void RecursionIsBounded()
    {
        var e = Assert.Throws<TemplateException>(() => Render("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}"));
        Assert.Contains("maximum recursion depth", e.Reason);
    }

    [Theory]
    [InlineData("{{ ", "(", "1", ")", " }}", "expression nested too deeply")]
    [InlineData("{{ ", "-", "1", "", " }}", "expression nested too deeply")]
    [InlineData("{{ ", "[", "1", "]", " }}", "expression nested too deeply")]
    [InlineData("", "{% if true %}", "x", "{% endif %}", "", "blocks nested too deeply")]
    public void DeepNestingIsAnErrorNotACrash(string prefix, string open, string middle, string close, string suffix, string reason)
    {
        const int n = 100_000;
        var source = prefix + string.Concat(Enumerable.Repeat(open, n)) + middle + string.Concat(Enumerable.Repeat(close, n)) + suffix;
        Assert.Contains(reason, Assert.Throws<TemplateException>(() => ChatTemplate.Parse(source)).Reason);
    }

    [Fact]
    public void HugeRangeIsRefused() =>
        Assert.Contains("Range too big", Assert.Throws<TemplateException>(() => Render("{{ range(1000000)|length }}")).Reason);

    [Fact]
    public void StrftimeNowUsesTheClock()
    {
        Assert.Equal("26 Jul 2024", Render("{{ strftime_now('%d %b %Y') }}"));
        Assert.Equal("2024-07-26 Friday July 12:00:00 PM", Render("{{ strftime_now('%Y-%m-%d %A %B %H:%M:%S %p') }}"));
    }

    [Fact]
    public void StrftimeNowDefaultsToTheSystemClock()
    {
        var before = DateTimeOffset.Now.Year;
        var year = int.Parse(ChatTemplate.Parse("{{ strftime_now('%Y') }}").Render([]));
        Assert.InRange(year, before, DateTimeOffset.Now.Year);
    }

    [Fact]
    public void JsonNumbersFollowPythonJsonLoads()
    {
        var ctx = """{"a": 1, "b": 1.0, "c": 2.5e3, "d": -7, "e": null, "f": true, "o": {"z": 1, "a": [1, "x"]}}""";
        Assert.Equal("1 1.0 2500.0 -7 None True {'z': 1, 'a': [1, 'x']}", Render("{{ a }} {{ b }} {{ c }} {{ d }} {{ e }} {{ f }} {{ o }}", ctx));
        Assert.Equal("""{"z": 1, "a": [1, "x"]}""", Render("{{ o|tojson }}", ctx));
    }

    [Fact]
    public void ContextBuiltInCodeKeepsTypes()
    {
        var ctx = new JsonObject { ["n"] = 3, ["x"] = 0.5, ["s"] = "t", ["b"] = false, ["l"] = new JsonArray(1, 2) };
        Assert.Equal("4 1.5 t! False [1, 2]", ChatTemplate.Parse("{{ n + 1 }} {{ x + 1 }} {{ s }}! {{ b }} {{ l }}").Render(ctx));
    }

    [Fact]
    public void OneParsedTemplateRendersConcurrently()
    {
        var t = ChatTemplate.Parse("{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + m.v %}{% endfor %}{{ ns.n }}");
        var results = new string[64];
        Parallel.For(0, results.Length, i =>
        {
            var messages = new JsonArray();
            for (var k = 0; k <= i; k++) messages.Add(new JsonObject { ["v"] = k });
            results[i] = t.Render(new JsonObject { ["messages"] = messages });
        });
        for (var i = 0; i < results.Length; i++) Assert.Equal((i * (i + 1) / 2).ToString(), results[i]);
    }

    [Fact]
    public void MarkupEscapesPlainStringsAddedToIt() =>
        Assert.Equal("a&lt;b&gt;&amp;&#34;&#39;c", Render("{{ 'a'|safe + '<b>&\"\\'' + 'c'|safe }}"));

    [Fact]
    public void CrLfSourceIsNormalizedAndOneTrailingNewlineDropped() =>
        Assert.Equal("a\nb\n", Render("a\r\nb\r\n\r\n"));
}
