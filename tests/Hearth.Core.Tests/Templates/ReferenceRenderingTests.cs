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
