using System.Text.Json.Nodes;

namespace Hearth.Core.Templates.Jinja;

/// <summary>A parsed template. Immutable; each Render builds its own interpreter, so renders may run concurrently.</summary>
internal sealed class JinjaTemplate(IReadOnlyList<Stmt> body, ChatTemplateOptions options) : IChatTemplate
{
    public string Render(JsonObject context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var globals = new Scope(null);
        Globals.Install(globals, options);
        var vars = new Scope(globals);
        foreach (var kv in context) vars.Set(kv.Key, JsonInput.ToValue(kv.Value));
        return new Interpreter(options).Render(body, new Scope(vars));
    }
}
