using System.Text;
using System.Text.Json.Nodes;
using Hearth.Core.Templates;
using Hearth.Engine.Structured;
using Hearth.Engine.Structured.Reasoning;
using Hearth.Tests;

namespace Hearth.Engine.Tests.Structured;

/// <summary>Thinking models: detected from real templates, their answers split into thinking and content (whole and
/// streamed in small pieces), and a grammar that applies after the thinking.</summary>
public class ReasoningTests
{
    private static readonly ReasoningFormat Think = new(ReasoningFormat.ThinkStart, ReasoningFormat.ThinkEnd, false);

    [SharedTheory]
    [InlineData(ThinkingTemplates.DeepSeekLlama, true, false)]
    [InlineData(ThinkingTemplates.DeepSeekQwen, true, false)]
    [InlineData("Qwen-Qwen2.5-7B-Instruct.jinja", false, false)]
    [InlineData("meta-llama-Llama-3.1-8B-Instruct.jinja", false, false)]
    [InlineData("NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja", false, false)]
    [InlineData("mistralai-Mistral-Nemo-Instruct-2407.jinja", false, false)]
    [InlineData("google-gemma-2-2b-it.jinja", false, false)]
    public void ThinkingIsDetectedFromTheRealTemplate(string file, bool thinks, bool canDisable)
    {
        var template = ChatTemplate.Parse(File.ReadAllText(TestPaths.SharedFile("reference", "templates", file)!));
        var format = ReasoningFormats.Detect(template);
        Assert.Equal(thinks, format is not null);
        if (format is not null) Assert.Equal(canDisable, format.CanDisable);
    }

    [Fact]
    public void AQwen3StyleTemplateThinksAndCanTurnItOff()
    {
        var format = ReasoningFormats.Detect(ChatTemplate.Parse(ThinkingTemplates.Qwen3Style));
        Assert.Equal(new ReasoningFormat("<think>", "</think>", CanDisable: true), format);
        Assert.Null(ReasoningFormats.Detect(ChatTemplate.Parse("{% for m in messages %}{{ m.content }}{% endfor %}")));
    }

    public static TheoryData<bool, string, string, string> Answers => new()
    {
        // DeepSeek-R1: the prompt opened the block.
        { true, "Let me think.\nOK.\n</think>\n\nThe answer is 4.", "Let me think.\nOK.\n", "The answer is 4." },
        // Qwen3: the model opens it.
        { false, "<think>\nHmm, 2+2.\n</think>\n\n{\"a\": 4}", "Hmm, 2+2.\n", "{\"a\": 4}" },
        { false, "  <think></think>Direct.", "", "Direct." },
        // No thinking at all: all content, untouched (a '<' that is not the marker included).
        { false, "<b>bold</b> </think>", "", "<b>bold</b> </think>" },
        { false, "Plain answer.", "", "Plain answer." },
        // Cut short while thinking: all thinking.
        { true, "Still thinking about </thi", "Still thinking about </thi", "" },
        { false, "<think>\nlong", "long", "" },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public void AnswersSplitIntoThinkingAndContentWholeAndStreamed(bool openInPrompt, string output, string reasoning, string content)
    {
        var whole = ReasoningSplitter.Split(Think, openInPrompt, output);
        Assert.Equal(reasoning, whole.Reasoning);
        Assert.Equal(content, whole.Content);
        for (int size = 1; size <= 4; size++)
        {
            var s = new ReasoningSplitter(Think, openInPrompt);
            var r = new StringBuilder();
            var c = new StringBuilder();
            for (int i = 0; i < output.Length; i += size)
            {
                var piece = s.Push(output.Substring(i, Math.Min(size, output.Length - i)));
                r.Append(piece.Reasoning);
                c.Append(piece.Content);
            }
            var end = s.Finish();
            Assert.Equal(reasoning, r.Append(end.Reasoning).ToString());
            Assert.Equal(content, c.Append(end.Content).ToString());
        }
    }

    private static Grammar Schema => GrammarCache.Get(OutputConstraint.Schema("""{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"],"additionalProperties":false}"""));

    [Theory]
    [InlineData(true, "free text { not json </thin </think>\n\n{\"a\":4}", true)]
    [InlineData(true, "</think>{\"a\":4}", true)]
    [InlineData(true, "{\"a\":4}", false)] // the thinking must end first
    [InlineData(true, "x</think> not json", false)]
    [InlineData(true, "x</think>\n\n\n\n\n\n{\"a\":4}", false)] // bounded whitespace after the thinking
    [InlineData(false, "<think>\nhm\n</think>\n\n{\"a\":4}", true)]
    [InlineData(false, "{\"a\":4}", true)] // the model may answer without thinking
    [InlineData(false, "hm</think>{\"a\":4}", false)]
    public void TheGrammarAppliesAfterTheThinking(bool openInPrompt, string output, bool valid)
    {
        var g = ThinkingGrammar.Wrap(Schema, Think, openInPrompt);
        Assert.Equal(valid, GrammarKit.Matches(g, output));
    }

    [Fact]
    public void NoiseUnderAThinkingGrammarThinksThenAnswersValidJson()
    {
        var trie = GrammarKit.SmallVocab([.. GrammarKit.JsonPieces, "</think>", "<think>", "</", "think", ">"]);
        var g = ThinkingGrammar.Wrap(Schema, Think, openInPrompt: true);
        var rng = new Random(7);
        int ended = 0;
        for (int i = 0; i < 40; i++)
        {
            var (text, end) = GrammarKit.Walk(g, trie, rng, 3000);
            if (!end) continue;
            ended++;
            var split = ReasoningSplitter.Split(Think, true, text);
            Assert.True(JsonSchemaGrammarTests.IsValid("""{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"],"additionalProperties":false}""", split.Content), text);
            Assert.DoesNotContain("</think>", split.Reasoning);
        }
        Assert.True(ended > 0);
    }
}
