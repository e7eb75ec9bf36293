using System.Text;
using System.Text.Json.Nodes;
using Hearth.Core.Templates;

namespace Hearth.Server.Tests.Fakes;

/// <summary>A Zephyr-like template that writes BOS itself: "{bos}&lt;|role|&gt;\ncontent\n…&lt;|assistant|&gt;\n".</summary>
public sealed class FakeChatTemplate : IChatTemplate
{
    public JsonObject? LastContext { get; private set; }

    public string Render(JsonObject context)
    {
        LastContext = (JsonObject)context.DeepClone();
        var sb = new StringBuilder(context["bos_token"]!.GetValue<string>());
        foreach (var m in context["messages"]!.AsArray())
        {
            var role = m!["role"]!.GetValue<string>();
            if (role == "bad") throw new InvalidOperationException("roles must alternate");
            sb.Append("<|").Append(role).Append("|>\n").Append(m["content"]?.GetValue<string>() ?? "").Append('\n');
        }
        if (context["add_generation_prompt"]!.GetValue<bool>()) sb.Append("<|assistant|>\n");
        return sb.ToString();
    }
}
