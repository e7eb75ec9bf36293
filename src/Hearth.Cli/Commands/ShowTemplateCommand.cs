using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Core.Gguf;
using Hearth.Core.Templates;

namespace Hearth.Cli.Commands;

/// <summary>`hearth show-template --model FILE.gguf --messages FILE.json [--no-generation-prompt]`: renders the
/// model's chat template for a conversation and prints the exact prompt text.</summary>
public static class ShowTemplateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "GGUF file whose tokenizer.chat_template is rendered", Required = true };
        var messages = new Option<string>("--messages")
        {
            Description = "JSON file: an array of messages, or an object with \"messages\" (and optional \"tools\")",
            Required = true,
        };
        var noGen = new Option<bool>("--no-generation-prompt") { Description = "Render with add_generation_prompt=false" };
        var command = new Command("show-template", "Render a model's chat template for a conversation (exact prompt text)");
        command.Options.Add(model);
        command.Options.Add(messages);
        command.Options.Add(noGen);
        command.SetAction(r => Run(r.GetValue(model)!, r.GetValue(messages)!, !r.GetValue(noGen), Console.Out, Console.Error));
        return command;
    }

    /// <summary>Renders and writes the prompt to <paramref name="stdout"/>; on any problem writes one line to
    /// <paramref name="stderr"/> and returns 1.</summary>
    public static int Run(string modelPath, string messagesPath, bool addGenerationPrompt, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            var (messages, tools, extra) = ReadMessages(messagesPath);
            GgufChatTemplate template;
            using (var gguf = GgufFile.Open(modelPath))
                template = GgufChatTemplate.TryRead(gguf) ?? throw new UserError($"{modelPath} has no chat template ({GgufChatTemplate.MetadataKey})");
            var context = template.CreateContext(messages, addGenerationPrompt, tools);
            foreach (var kv in extra) context[kv.Key] = kv.Value;
            var text = ChatTemplate.Parse(template.Source).Render(context);
            stdout.Write(text);
            stdout.Flush();
            return 0;
        }
        catch (Exception e) when (e is UserError or GgufException or TemplateException or IOException or UnauthorizedAccessException)
        {
            var prefix = e is TemplateException ? "chat template error: " : "";
            stderr.WriteLine("error: " + prefix + e.Message.ReplaceLineEndings(" "));
            return 1;
        }
    }

    private static (JsonArray Messages, JsonArray? Tools, List<KeyValuePair<string, JsonNode?>> Extra) ReadMessages(string path)
    {
        if (!File.Exists(path)) throw new UserError($"messages file not found: {path}");
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new UserError($"{path}: invalid JSON: {e.Message}");
        }
        switch (root)
        {
            case JsonArray array:
                return (array, null, []);
            case JsonObject obj when obj["messages"] is JsonArray msgs:
                if (obj["tools"] is not (null or JsonArray)) throw new UserError($"{path}: \"tools\" must be an array");
                var extra = obj.Where(kv => kv.Key is not ("messages" or "tools"))
                    .Select(kv => new KeyValuePair<string, JsonNode?>(kv.Key, kv.Value?.DeepClone())).ToList();
                var tools = obj["tools"]?.DeepClone().AsArray();
                return (msgs.DeepClone().AsArray(), tools, extra);
            default:
                throw new UserError($"{path}: expected a JSON array of messages or an object with a \"messages\" array");
        }
    }

    private sealed class UserError(string message) : Exception(message);
}
