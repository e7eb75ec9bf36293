using System.Globalization;
using Hearth.Core.Gguf;
using Hearth.Core.Tokenizers;
using Hearth.Cpu;
using Hearth.Engine.Models;
using Hearth.Engine.Structured;
using Hearth.Tests;
using static Hearth.Engine.Tests.Engine.EngineHarness;

namespace Hearth.Engine.Tests.Structured;

/// <summary>Correct by construction: a random-weight Llama-3 model (128k vocabulary; its output is noise) under every
/// suite schema, regexes and a GBNF grammar, 16 sequences per step with continuous batching, sampled at
/// temperature 1 with seeds; every completion must end (stop) and be valid — JSON Schema validity by JsonSchema.Net.
/// CI runs <see cref="RequestsPerConstraint"/> requests per constraint (2); HEARTH_GRAMMAR_REQUESTS=100 runs the full
/// check (minutes).</summary>
public class ConstrainedEngineTests
{
    private static readonly (string Name, OutputConstraint Constraint, Func<string, bool> Valid)[] Regexes =
    [
        ("phone", OutputConstraint.Pattern("\\(\\d{3}\\) \\d{3}-\\d{4}"), t => System.Text.RegularExpressions.Regex.IsMatch(t, "^\\(\\d{3}\\) \\d{3}-\\d{4}$")),
        ("words", OutputConstraint.Pattern("[A-Z][a-z]{0,8}( [a-z]{1,8}){1,3}\\."), t => System.Text.RegularExpressions.Regex.IsMatch(t, "^[A-Z][a-z]{0,8}( [a-z]{1,8}){1,3}\\.$")),
        ("gbnf", OutputConstraint.Gbnf(GbnfGrammarTests.Arithmetic), t => GbnfGrammarTests.ArithmeticShape.IsMatch(t) && GrammarKit.Matches(GrammarCache.Get(OutputConstraint.Gbnf(GbnfGrammarTests.Arithmetic)), t)),
        ("choice", OutputConstraint.OneOf(["red", "green", "blue \"b\""]), t => t is "red" or "green" or "blue \"b\""),
    ];

    internal static int RequestsPerConstraint =>
        int.TryParse(Environment.GetEnvironmentVariable("HEARTH_GRAMMAR_REQUESTS"), CultureInfo.InvariantCulture, out int n) && n > 0 ? n : 2;

    [SharedFact]
    public void NoiseUnderEveryConstraintIsValidSixteenPerBatch()
    {
        using var gguf = GgufFile.Open(TestPaths.SharedFile("models", "synthetic-llama3-tiny.gguf")!);
        using var backend = new CpuBackend(1);
        using var model = DecoderModel.Load(gguf, backend);
        var tokenizer = TokenizerFactory.FromGguf(gguf);
        var engine = Untimed(model, tokenizer, new EngineOptions { NumKvBlocks = 1200, BlockSize = 16, MaxNumSeqs = 16 });
        var prompt = tokenizer.Encode("Reply in JSON.", addSpecial: true, parseSpecial: false);

        var checks = new Dictionary<long, (string Name, Func<string, bool> Valid)>();
        int n = RequestsPerConstraint;
        foreach (var (name, schema) in SchemaSuite.All)
            for (int i = 0; i < n; i++)
                checks[Add(engine, prompt, OutputConstraint.Schema(schema), checks.Count)] = (name, t => JsonSchemaGrammarTests.IsValid(schema, t));
        foreach (var (name, constraint, valid) in Regexes)
            for (int i = 0; i < n; i++)
                checks[Add(engine, prompt, constraint, checks.Count)] = (name, valid);

        int widest = 0;
        var results = RunAll(engine, _ => widest = Math.Max(widest, engine.LastStepSequences), maxSteps: 400_000);
        Assert.Equal(16, widest);
        foreach (var (key, (name, valid)) in checks)
        {
            var choice = results[key][0];
            Assert.True(choice.Last.Finish == FinishReason.Stop, $"{name}: finished {choice.Last.Finish} after {choice.Tokens.Count} tokens: {choice.Text}");
            Assert.True(valid(choice.Text), $"{name}: invalid output {System.Text.Json.JsonSerializer.Serialize(choice.Text)}");
        }
    }

    private static long Add(LlmEngine engine, int[] prompt, OutputConstraint constraint, int seed) =>
        engine.AddRequest(new GenerationRequest($"r{seed}", prompt, new SamplingParams
        {
            Temperature = 1, Seed = (ulong)seed, MaxTokens = 1500, Grammar = GrammarCache.Get(constraint),
        }));
}
