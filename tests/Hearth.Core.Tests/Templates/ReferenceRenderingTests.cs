using Hearth.Tests;

namespace Hearth.Core.Tests.Templates;

/// <summary>Every reference case in shared/reference/templates renders byte for byte like jinja2.</summary>
public class ReferenceRenderingTests
{
    private static string? Dir => TestPaths.SharedFile("reference", "templates");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        if (Dir is { } d && Directory.Exists(d))
            foreach (var f in Directory.GetFiles(d, "*.json").Order(StringComparer.Ordinal))
                data.Add(Path.GetFileName(f));
        else
            data.Add("(shared absent)");
        return data;
    }

    [SharedTheory]
    [MemberData(nameof(Cases))]
    public void RendersExactly(string caseFile)
    {
        var c = TemplateCase.Load(Path.Combine(Dir!, caseFile));
        Assert.Equal(c.Expected, c.Render(Dir!));
    }

    [SharedFact]
    public void AllSixteenTemplatesAndAllCasesArePresent()
    {
        Assert.Equal(16, Directory.GetFiles(Dir!, "*.jinja").Length);
        Assert.True(Directory.GetFiles(Dir!, "*.json").Length >= 124);
    }
}

/// <summary>Gemma 2 refuses a system message with raise_exception; the engine raises too, naming the line.</summary>
public class GemmaSystemRoleTests
{
    [SharedFact]
    public void SystemRoleRaises()
    {
        var dir = TestPaths.SharedFile("reference", "templates")!;
        var template = Hearth.Core.Templates.ChatTemplate.Parse(File.ReadAllText(Path.Combine(dir, "google-gemma-2-2b-it.jinja")));
        var ctx = System.Text.Json.Nodes.JsonNode.Parse("""
            {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}],
             "add_generation_prompt": true, "bos_token": "<bos>", "eos_token": "<eos>"}
            """)!.AsObject();
        var e = Assert.Throws<Hearth.Core.Templates.TemplateException>(() => template.Render(ctx));
        Assert.Equal("System role not supported", e.Reason);
        Assert.Equal(1, e.Line);
    }
}
