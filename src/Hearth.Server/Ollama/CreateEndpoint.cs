using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Engine.Store;
using Hearth.Server.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Hearth.Server.Ollama;

/// <summary>POST /api/create: a model from `from` plus system, template, license, parameters and messages, or from
/// Modelfile text (`modelfile`, whose settings the explicit fields override). FROM names a model in the store or a
/// blob digest; the server never reads files a client names. Streams {"status"} lines (NDJSON) ending with
/// {"status":"success"}, or answers that line alone with stream:false. quantize and adapters are refused.</summary>
public static class CreateEndpoint
{
    public static async Task Handle(HttpContext ctx)
    {
        var a = await JsonArgs.ReadAsync(ctx);
        var name = a.String("model") ?? a.String("name") ?? throw ApiException.BadRequest("'model' is required", "model");
        var stream = a.Bool("stream") ?? true;
        if (a.String("quantize") is { Length: > 0 }) throw ApiException.BadRequest("'quantize' is not supported: quantize with llama.cpp and create from the result", "quantize");
        if (a.Obj("adapters") is { Object.Count: > 0 }) throw ApiException.BadRequest("'adapters' are not supported yet", "adapters");
        a.Obj("files"); // Ollama's uploaded-blob map: FROM a blob digest covers it
        var modelfile = Parse(a);

        var progress = new List<PullProgress>();
        ModelEntry created;
        try
        {
            created = ctx.RequestServices.GetRequiredService<IModelCatalog>().Create(name, modelfile, new ListProgress(progress), ctx.RequestAborted);
        }
        catch (ModelfileException e)
        {
            throw ApiException.BadRequest(e.Message, "from");
        }
        catch (ArgumentException e)
        {
            throw ApiException.BadRequest(e.Message, "model");
        }
        RequestRecord.Of(ctx).Model = created.Name;
        if (!stream)
        {
            await JsonOut.WriteAsync(ctx, 200, w => Status(w, "success"));
            return;
        }
        await OllamaJson.StartStreamAsync(ctx);
        foreach (var p in progress.Where(p => p.Status != "success").Append(new PullProgress("success")))
            await OllamaJson.WriteLineAsync(ctx, JsonOut.ToBytes(w => Status(w, p.Status)));
    }

    private static void Status(Utf8JsonWriter w, string status)
    {
        w.WriteStartObject();
        w.WriteString("status", status);
        w.WriteEndObject();
    }

    /// <summary>The Modelfile: parsed from `modelfile` when given, with `from`, `system`, `template`, `license`,
    /// `parameters` and `messages` over it.</summary>
    private static Modelfile Parse(JsonArgs a)
    {
        Modelfile? text = null;
        if (a.String("modelfile") is { Length: > 0 } source)
        {
            try { text = ModelfileParser.Parse(source); }
            catch (ModelfileException e) { throw ApiException.BadRequest(e.Message, "modelfile"); }
        }
        var from = a.String("from") ?? text?.From ?? throw ApiException.BadRequest("'from' (or a modelfile with FROM) is required", "from");
        var parameters = Parameters(a.Obj("parameters"));
        return (text ?? new Modelfile(from, 0)) with
        {
            From = from,
            System = a.String("system") ?? text?.System,
            Template = a.String("template") ?? text?.Template,
            License = License(a) ?? text?.License,
            Parameters = parameters is null ? text?.Parameters ?? [] : [.. (text?.Parameters ?? []).Where(p => parameters.All(q => q.Name != p.Name)), .. parameters],
            Messages = Messages(a.Array("messages")) ?? text?.Messages ?? [],
        };
    }

    private static string? License(JsonArgs a) =>
        a.Object["license"] is JsonArray list ? string.Join("\n", list.Select(l => l?.GetValueKind() == JsonValueKind.String ? l.GetValue<string>() : throw ApiException.BadRequest("'license' must be a string or an array of strings", "license")))
        : a.String("license");

    /// <summary>parameters: {"temperature":0.7,"stop":["a","b"],…}: numbers, strings and booleans, or arrays of them.</summary>
    private static List<(string Name, string Value)>? Parameters(JsonArgs? o)
    {
        if (o is null) return null;
        var list = new List<(string, string)>();
        foreach (var (key, value) in o.Object)
            foreach (var v in value is JsonArray arr ? arr.ToArray() : [value])
                list.Add((key, v?.GetValueKind() switch
                {
                    JsonValueKind.String => v.GetValue<string>(),
                    JsonValueKind.Number => v.GetValue<double>().ToString(CultureInfo.InvariantCulture),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    _ => throw ApiException.BadRequest($"'parameters.{key}' must be a number, a string, a boolean or an array of them", $"parameters.{key}"),
                }));
        return list;
    }

    private static List<(string Role, string Content)>? Messages(JsonArray? messages) =>
        messages?.Select((m, i) =>
        {
            var args = new JsonArgs(m as JsonObject ?? throw ApiException.BadRequest($"'messages[{i}]' must be an object", $"messages[{i}]"), $"messages[{i}].");
            return (args.String("role") ?? throw ApiException.BadRequest($"'messages[{i}].role' is required", $"messages[{i}].role"), args.String("content") ?? "");
        }).ToList();

    /// <summary>Collects progress in order, synchronously.</summary>
    private sealed class ListProgress(List<PullProgress> list) : IProgress<PullProgress>
    {
        public void Report(PullProgress value) => list.Add(value);
    }
}
