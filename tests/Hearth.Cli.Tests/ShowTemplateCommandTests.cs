using System.Text;
using Hearth.Cli.Commands;
using Hearth.Tests;

namespace Hearth.Cli.Tests;

/// <summary>`hearth show-template`: exact rendering of a GGUF's chat template, and one-line errors with exit 1.</summary>
public sealed class ShowTemplateCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hearth-show-template-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteFile(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A minimal GGUF v3 (no tensors) holding a chat template and a 3-token vocabulary.</summary>
    private string WriteGguf(string name, string? template)
    {
        var path = Path.Combine(_dir, name);
        using var w = new BinaryWriter(File.Create(path), Encoding.UTF8);
        void Str(string s) { var b = Encoding.UTF8.GetBytes(s); w.Write((ulong)b.Length); w.Write(b); }
        w.Write(0x46554747u);
        w.Write(3u);
        w.Write(0UL); // tensors
        w.Write(template is null ? 3UL : 4UL);
        Str("general.architecture"); w.Write(8u); Str("llama");
        Str("tokenizer.ggml.tokens"); w.Write(9u); w.Write(8u); w.Write(3UL); Str("<unk>"); Str("<s>"); Str("</s>");
        Str("tokenizer.ggml.bos_token_id"); w.Write(4u); w.Write(1u);
        if (template is not null) { Str("tokenizer.chat_template"); w.Write(8u); Str(template); }
        while (w.BaseStream.Position % 32 != 0) w.Write((byte)0);
        return path;
    }

    private static (int Code, string Out, string Err) Run(string model, string messages, bool gen = true)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = ShowTemplateCommand.Run(model, messages, gen, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private const string Template =
        "{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}" +
        "{% if tools is defined %}tools={{ tools|length }}{% endif %}{% if add_generation_prompt %}[assistant]{% endif %}\n";

    [Fact]
    public void RendersExactlyWithBosFromTheVocabulary()
    {
        var model = WriteGguf("m.gguf", Template);
        var messages = WriteFile("m.json", """[{"role": "user", "content": "Grüße"}]""");
        Assert.Equal((0, "<s>[user]Grüße[assistant]", ""), Run(model, messages));
        Assert.Equal((0, "<s>[user]Grüße", ""), Run(model, messages, gen: false));
    }

    [Fact]
    public void AcceptsAnObjectWithMessagesAndTools()
    {
        var model = WriteGguf("m.gguf", Template);
        var messages = WriteFile("m.json", """{"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function"}, {}]}""");
        Assert.Equal((0, "<s>[user]xtools=2[assistant]", ""), Run(model, messages));
    }

    [Theory]
    [InlineData("missing-model")]
    [InlineData("missing-messages")]
    [InlineData("bad-json")]
    [InlineData("wrong-shape")]
    [InlineData("no-template")]
    [InlineData("template-error")]
    [InlineData("not-gguf")]
    public void ProblemsGiveOneLineOnStderrAndExitCode1(string problem)
    {
        var good = WriteGguf("m.gguf", Template);
        var messages = WriteFile("m.json", """[{"role": "user", "content": "x"}]""");
        var (model, msgs, expected) = problem switch
        {
            "missing-model" => (Path.Combine(_dir, "absent.gguf"), messages, "absent.gguf"),
            "missing-messages" => (good, Path.Combine(_dir, "absent.json"), "messages file not found"),
            "bad-json" => (good, WriteFile("b.json", "[{"), "invalid JSON"),
            "wrong-shape" => (good, WriteFile("w.json", """{"msgs": []}"""), "expected a JSON array of messages"),
            "no-template" => (WriteGguf("n.gguf", null), messages, "has no chat template"),
            "template-error" => (WriteGguf("e.gguf", "line1\n{{ raise_exception('Only user roles') }}"), messages, "chat template error: Only user roles (template line 2, column 4)"),
            _ => (WriteFile("x.gguf", "not a gguf file at all"), messages, "x.gguf"),
        };
        var (code, stdout, stderr) = Run(model, msgs);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("error: ", stderr);
        Assert.Contains(expected, stderr);
        Assert.Equal(stderr.TrimEnd('\n').Length, stderr.TrimEnd('\n').ReplaceLineEndings("").Length);
    }

    [SharedFact]
    public void RendersTheLlama3TemplateOfTheLlamaBpeVocabulary()
    {
        var messages = WriteFile("m.json", """[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi é "}]""");
        var (code, stdout, stderr) = Run(TestPaths.SharedFile("vocab", "ggml-vocab-llama-bpe.gguf")!, messages);
        Assert.Equal("", stderr);
        Assert.Equal(0, code);
        // Python jinja2 renders this template (tokenizer.chat_template of the file) to exactly this text.
        Assert.Equal("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>" +
                     "<|start_header_id|>user<|end_header_id|>\n\nHi é<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", stdout);
    }

    [Fact]
    public void CommandParsesItsOptions()
    {
        var command = ShowTemplateCommand.Create();
        Assert.Equal("show-template", command.Name);
        Assert.Empty(command.Parse(["--model", "a.gguf", "--messages", "m.json", "--no-generation-prompt"]).Errors);
        Assert.NotEmpty(command.Parse(["--model", "a.gguf"]).Errors);
    }
}
