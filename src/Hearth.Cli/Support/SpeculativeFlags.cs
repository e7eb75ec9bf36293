using System.CommandLine;
using Hearth.Engine;

namespace Hearth.Cli.Support;

/// <summary>The speculative decoding flags shared by `serve`, `run` and `bench-speculative`: --speculative
/// ngram|draft, --draft-model FILE, --num-speculative-tokens K.</summary>
internal sealed class SpeculativeFlags
{
    public Option<string> Method { get; } = new("--speculative")
    {
        Description = "Speculative decoding: none, ngram (prompt lookup in each sequence's own tokens) or draft (a small model with the same vocabulary, --draft-model)",
        DefaultValueFactory = _ => "none",
    };

    public Option<string?> DraftModel { get; } = new("--draft-model") { Description = "GGUF file of the draft model for --speculative draft (same tokenizer as the served model)" };

    public Option<int?> NumTokens { get; } = new("--num-speculative-tokens") { Description = "Draft tokens proposed per sequence and step (default 4)" };

    public SpeculativeFlags()
    {
        Method.AcceptOnlyFromAmong("none", "ngram", "draft");
        NumTokens.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is < 1 or > 32) r.AddError("--num-speculative-tokens must be in 1..32"); });
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Method);
        command.Options.Add(DraftModel);
        command.Options.Add(NumTokens);
    }

    /// <summary>The engine options with the flags applied; a draft method without a draft file (or the reverse) is a
    /// <see cref="CliException"/>.</summary>
    public EngineOptions Apply(ParseResult parse, EngineOptions engine)
    {
        var method = parse.GetValue(Method) switch
        {
            "ngram" => SpeculativeMethod.Ngram,
            "draft" => SpeculativeMethod.Draft,
            _ => SpeculativeMethod.None,
        };
        string? draft = parse.GetValue(DraftModel);
        if (method == SpeculativeMethod.Draft && draft is null) throw new CliException("--speculative draft needs --draft-model FILE");
        if (draft is not null && method != SpeculativeMethod.Draft) throw new CliException("--draft-model is only used with --speculative draft");
        if (draft is not null && !File.Exists(draft)) throw new CliException($"no such draft model file: {draft}");
        return engine with
        {
            SpeculativeMethod = method,
            NumSpeculativeTokens = parse.GetValue(NumTokens) ?? engine.NumSpeculativeTokens,
        };
    }
}
