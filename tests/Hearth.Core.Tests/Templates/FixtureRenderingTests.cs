using Hearth.Core.Templates;
using Hearth.Tests;

namespace Hearth.Core.Tests.Templates;

/// <summary>The committed fixtures (tests/fixtures/templates) render exactly; no ../shared needed.</summary>
public class FixtureRenderingTests
{
    private static readonly string Dir = Path.Combine(TestPaths.Fixtures, "templates");

    private static void AssertCase(string file)
    {
        var c = TemplateCase.Load(Path.Combine(Dir, file));
        Assert.Equal(c.Expected, c.Render(Dir));
    }

    [Fact]
    public void Llama31SystemUser() => AssertCase("meta-llama-Llama-3.1-8B-Instruct.system_user.json");

    [Fact]
    public void Llama31ToolCallResponse() => AssertCase("meta-llama-Llama-3.1-8B-Instruct.tool_call_response.json");

    [Fact]
    public void Qwen25MultiTurn() => AssertCase("Qwen-Qwen2.5-7B-Instruct.multi_turn.json");

    [Fact]
    public void Qwen25ToolsUser() => AssertCase("Qwen-Qwen2.5-7B-Instruct.tools_user.json");

    [Fact]
    public void Llama31ToolResultIsPrintedThroughTojsonBecauseStringsAreIterable()
    {
        var c = TemplateCase.Load(Path.Combine(Dir, "meta-llama-Llama-3.1-8B-Instruct.tool_call_response.json"));
        var text = c.Render(Dir);
        Assert.Contains("<|start_header_id|>ipython<|end_header_id|>\n\n\"{\\\"temperature\\\"", text);
    }

    [Fact]
    public void ParsedOnceRendersManyConversations()
    {
        var template = ChatTemplate.Parse(File.ReadAllText(Path.Combine(Dir, "Qwen-Qwen2.5-7B-Instruct.jinja")), TemplateCase.FixedClock);
        var a = TemplateCase.Load(Path.Combine(Dir, "Qwen-Qwen2.5-7B-Instruct.multi_turn.json"));
        var b = TemplateCase.Load(Path.Combine(Dir, "Qwen-Qwen2.5-7B-Instruct.tools_user.json"));
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(a.Expected, template.Render(a.Context));
            Assert.Equal(b.Expected, template.Render(b.Context));
        }
    }
}
