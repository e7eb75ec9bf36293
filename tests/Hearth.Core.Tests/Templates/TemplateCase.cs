using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Core.Templates;

namespace Hearth.Core.Tests.Templates;

/// <summary>One reference rendering (shared/reference/templates/*.json or tests/fixtures/templates/*.json).</summary>
internal sealed record TemplateCase(string TemplateFile, JsonObject Context, string Expected)
{
    /// <summary>A clock pinned to the reference's date (strftime_now returned "26 Jul 2024" there).</summary>
    public static readonly ChatTemplateOptions FixedClock =
        new(new FixedTimeProvider(new DateTimeOffset(2024, 7, 26, 12, 0, 0, TimeSpan.Zero)));

    public static TemplateCase Load(string path)
    {
        var root = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { MaxDepth = 256 })!.AsObject();
        var context = new JsonObject
        {
            ["messages"] = root["messages"]!.DeepClone(),
            ["add_generation_prompt"] = root["add_generation_prompt"]!.DeepClone(),
            ["bos_token"] = root["bos_token"]!.DeepClone(),
            ["eos_token"] = root["eos_token"]!.DeepClone(),
        };
        if (root["tools"] is { } tools) context["tools"] = tools.DeepClone();
        if (root["extra_context"] is JsonObject extra)
            foreach (var kv in extra) context[kv.Key] = kv.Value?.DeepClone();
        return new TemplateCase((string)root["template_file"]!, context, (string)root["expected"]!);
    }

    public string Render(string directory)
    {
        var template = ChatTemplate.Parse(File.ReadAllText(Path.Combine(directory, TemplateFile)), FixedClock);
        return template.Render(Context);
    }

    private sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;

        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
    }
}
