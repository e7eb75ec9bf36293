using Hearth.Store;

namespace Hearth.Store.Tests.Store;

public class ModelfileParserTests
{
    [Fact]
    public void ParsesEveryInstruction()
    {
        const string text = """"
            # a comment
            FROM ./model.gguf
            parameter temperature 0.7
            PARAMETER stop "<|eot_id|>"
            PARAMETER stop </s>
            PARAMETER num_ctx 4096
            TEMPLATE """{{ if .System }}<|system|>
            {{ .System }}{{ end }}
            <|user|>{{ .Prompt }}"""
            SYSTEM """
            You are a helpful "assistant".
            Be brief.
            """
              # indented comment
            MESSAGE user Is the sky blue?
            MESSAGE assistant "Yes, it is."
            LICENSE """MIT"""
            """";
        var mf = ModelfileParser.Parse(text);
        Assert.Equal("./model.gguf", mf.From);
        Assert.Equal(2, mf.FromLine);
        Assert.Equal([("temperature", "0.7"), ("stop", "<|eot_id|>"), ("stop", "</s>"), ("num_ctx", "4096")], mf.Parameters);
        Assert.Equal("{{ if .System }}<|system|>\n{{ .System }}{{ end }}\n<|user|>{{ .Prompt }}", mf.Template);
        Assert.Equal("You are a helpful \"assistant\".\nBe brief.", mf.System);
        Assert.Equal([("user", "Is the sky blue?"), ("assistant", "Yes, it is.")], mf.Messages);
        Assert.Equal("MIT", mf.License);
        var map = mf.ParameterMap();
        Assert.Equal("<|eot_id|>\n</s>", map["stop"]);
        Assert.Equal("0.7", map["temperature"]);
        Assert.Equal(3, map.Count);
    }

    [Fact]
    public void MinimalModelfileAndCrlfLineEndings()
    {
        var mf = ModelfileParser.Parse("# x\r\n\r\nfrom llama3:8b\r\nSYSTEM Be nice.\r\n");
        Assert.Equal("llama3:8b", mf.From);
        Assert.Equal(3, mf.FromLine);
        Assert.Equal("Be nice.", mf.System);
        Assert.Null(mf.Template);
        Assert.Empty(mf.Parameters);
    }

    [Theory]
    [InlineData("SYSTEM hi", 1, "no FROM instruction (every Modelfile needs one)")]
    [InlineData("FROM a\nFROM b", 2, "FROM appears twice (first on line 1)")]
    [InlineData("FROM", 1, "FROM needs a model name, blob or file path")]
    [InlineData("FROM a\nBOGUS x", 2, "unknown instruction 'BOGUS' (expected FROM, ADAPTER, PARAMETER, TEMPLATE, SYSTEM, MESSAGE, LICENSE or a # comment)")]
    [InlineData("FROM a\n\nPARAMETER temperature", 3, "PARAMETER needs a name and a value, e.g. PARAMETER temperature 0.7")]
    [InlineData("FROM a\nPARAMETER temperature hot", 2, "parameter temperature needs a number, got 'hot'")]
    [InlineData("FROM a\nPARAMETER num_ctx 1.5", 2, "parameter num_ctx needs an integer, got '1.5'")]
    [InlineData("FROM a\nPARAMETER use_mmap maybe", 2, "parameter use_mmap needs true or false, got 'maybe'")]
    [InlineData("FROM a\nPARAMETER stop \"\"", 2, "parameter stop needs a non-empty value, got ''")]
    [InlineData("FROM a\nTEMPLATE \"\"\"never closed\nmore", 2, "unterminated \"\"\" string (no closing \"\"\")")]
    [InlineData("FROM a\nSYSTEM \"\"\"x\n\"\"\" trailing", 3, "unexpected text after closing \"\"\": 'trailing'")]
    [InlineData("FROM a\nSYSTEM \"open", 2, "unterminated quoted string: \"open")]
    [InlineData("FROM a\nSYSTEM", 2, "SYSTEM needs a message")]
    [InlineData("FROM a\nTEMPLATE \"\"\"\"\"\"", 2, "TEMPLATE needs a template")]
    [InlineData("FROM a\nLICENSE", 2, "LICENSE needs text")]
    [InlineData("FROM a\nMESSAGE user", 2, "MESSAGE needs a role and content, e.g. MESSAGE user Hello")]
    [InlineData("FROM a\nMESSAGE robot hi", 2, "MESSAGE role 'robot' is not one of system, user, assistant, tool")]
    [InlineData("FROM a\nADAPTER", 2, "ADAPTER needs a LoRA adapter GGUF file or blob")]
    public void ErrorsNameTheirLine(string text, int line, string message)
    {
        var e = Assert.Throws<ModelfileException>(() => ModelfileParser.Parse(text));
        Assert.Equal(line, e.Line);
        Assert.Equal($"Modelfile line {line}: {message}", e.Message);
    }

    [Fact]
    public void UnknownParameterListsKnownOnes()
    {
        var e = Assert.Throws<ModelfileException>(() => ModelfileParser.Parse("FROM a\nPARAMETER tempratur 1"));
        Assert.Equal(2, e.Line);
        Assert.StartsWith("Modelfile line 2: unknown parameter 'tempratur' (known: frequency_penalty, min_p,", e.Message);
    }
}
