using Hearth.Core.Templates.Jinja;

namespace Hearth.Core.Templates;

/// <summary>Entry point: compiles Jinja chat-template source into a reusable, thread-safe <see cref="IChatTemplate"/>.
/// Renders like Python jinja2 configured as HF transformers does (ImmutableSandboxedEnvironment, trim_blocks,
/// lstrip_blocks, loopcontrols, tojson = json.dumps(ensure_ascii=False), raise_exception, strftime_now).</summary>
public static class ChatTemplate
{
    /// <summary>Parses <paramref name="source"/> once; throws <see cref="TemplateException"/> on a syntax error.</summary>
    public static IChatTemplate Parse(string source) => Parse(source, ChatTemplateOptions.Default);

    /// <summary>Parses with explicit options (for example a fixed clock for <c>strftime_now</c>).</summary>
    public static IChatTemplate Parse(string source, ChatTemplateOptions options)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        var tokens = new Lexer(source).Tokenize();
        var body = new Parser(tokens).ParseTemplate();
        return new JinjaTemplate(body, options);
    }
}
