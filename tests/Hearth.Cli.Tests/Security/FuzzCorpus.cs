using System.Text;
using System.Text.Json.Nodes;

namespace Hearth.Cli.Tests.Security;

/// <summary>One fuzzed request: where it goes, its body bytes and headers, and whether the client hangs up early.</summary>
internal sealed record FuzzRequest(string Target, string Method, string Path, byte[] Body, string? ContentType,
    IReadOnlyList<(string Name, string Value)> Headers, TimeSpan? DisconnectAfter)
{
    public string Describe() => $"{Target} {Method} {Path} [{string.Join("; ", Headers.Select(h => $"{h.Name}: {h.Value[..Math.Min(h.Value.Length, 40)]}"))}] "
        + Encoding.UTF8.GetString(Body[..Math.Min(Body.Length, 300)]);
}

/// <summary>Valid OpenAI, Ollama and router requests, and a seeded mutator that breaks them the ways clients and
/// attackers do: wrong types, huge and negative numbers, deep nesting, odd unicode (lone surrogates, NUL, RTL),
/// truncation, flipped bytes (invalid UTF-8), duplicate keys, oversized bodies, bad headers and early disconnects.</summary>
internal sealed class FuzzCorpus(Random rng)
{
    private static readonly (string Target, string Method, string Path, string Body)[] Seeds =
    [
        ("server", "POST", "v1/chat/completions", """{"model":"tinystories","messages":[{"role":"system","content":"Be short."},{"role":"user","content":"Once upon a time"}],"max_tokens":8,"temperature":0.7,"stream":true,"stream_options":{"include_usage":true}}"""),
        ("server", "POST", "v1/chat/completions", """{"model":"tinystories","messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}],"max_tokens":6,"n":2,"logprobs":true,"top_logprobs":2,"stop":["."],"seed":7}"""),
        ("server", "POST", "v1/completions", """{"model":"tinystories","prompt":"The dog","max_tokens":8,"top_p":0.9,"top_k":20,"presence_penalty":0.5,"echo":false,"stream":false}"""),
        ("server", "POST", "v1/completions", """{"model":"tinystories","prompt":["A cat"],"max_tokens":5,"stream":true,"logit_bias":{"10":-100}}"""),
        ("server", "POST", "api/generate", """{"model":"tinystories","prompt":"Lily","stream":true,"options":{"num_predict":8,"temperature":0.5,"stop":["!"],"seed":1},"keep_alive":"5m"}"""),
        ("server", "POST", "api/chat", """{"model":"tinystories","messages":[{"role":"user","content":"Tom had a ball"}],"stream":false,"options":{"num_predict":6,"repeat_penalty":1.1},"format":"json"}"""),
        ("server", "POST", "api/show", """{"model":"tinystories"}"""),
        ("server", "POST", "api/pull", """{"model":"hf.co/owner/repo:Q8_0","stream":true}"""),
        ("server", "POST", "api/copy", """{"source":"tinystories","destination":"copy"}"""),
        ("server", "DELETE", "api/delete", """{"model":"copy"}"""),
        ("server", "GET", "api/tags", ""),
        ("server", "GET", "v1/models", ""),
        ("router", "POST", "v1/chat/completions", """{"model":"story","messages":[{"role":"user","content":"Once"}],"max_tokens":6,"stream":true}"""),
        ("router", "POST", "v1/completions", """{"model":"story","prompt":"Once","max_tokens":6}"""),
        ("router", "GET", "v1/models", ""),
    ];

    private static readonly string[] OddStrings =
    [
        "", " ", "\u0000", "\ud83d\ude00\ud83d\ude00", "\u202e\u202dRTL", "a\u0301\u0308", "\uFFFD", "\uFEFF", "\\", "\"", "null",
        "<|end_story|>", "<s></s>", "{{ raise_exception('x') }}", "{% for %}", "../../etc/passwd", "http://127.0.0.1:1/x.gguf", "Ω≈ç√∫",
        "tinystories:latest", "story", "hf.co/a/b:Q4_K_M", new string('x', 5000),
    ];

    public FuzzRequest Next()
    {
        var seed = Seeds[rng.Next(Seeds.Length)];
        var body = seed.Body;
        byte[] bytes;
        var kind = rng.Next(12);
        if (body.Length == 0 || kind == 0) bytes = Encoding.UTF8.GetBytes(body); // the valid request itself
        else
        {
            var node = JsonNode.Parse(body)!;
            for (var i = 0; i < 1 + rng.Next(3); i++) node = MutateTree(node);
            bytes = Encoding.UTF8.GetBytes(node.ToJsonString());
            bytes = kind switch
            {
                1 => bytes[..rng.Next(bytes.Length)],                               // truncated
                2 => FlipBytes(bytes),                                              // invalid UTF-8 and broken syntax
                3 => Encoding.UTF8.GetBytes(InsertRaw(Encoding.UTF8.GetString(bytes))), // lone surrogates, duplicate keys
                4 => Deep(bytes),                                                   // deep nesting
                _ => bytes,
            };
        }
        var headers = new List<(string, string)>();
        string? contentType = body.Length == 0 ? null : Pick(["application/json", "application/json", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1", null]);
        // Header values stay ASCII: HttpClient refuses to send anything else, so it would never reach the server.
        if (rng.Next(8) == 0) headers.Add(("Authorization", Pick(["Bearer ", "Bearer %C3%A9", "Basic abc", "Bearer x y z", new string('k', 3000)])!));
        if (rng.Next(10) == 0) headers.Add(("Origin", Pick(["http://localhost:3000", "https://attacker.example", "null", "http://[::1]", "file://"])!));
        if (rng.Next(12) == 0) headers.Add(("Host", Pick(["localhost", "attacker.example", "127.0.0.1:1", "[::1]", "a..b"])!));
        if (rng.Next(15) == 0) headers.Add(("Accept", Pick(["text/event-stream", "*/*", "application/x-ndjson", ";;;"])!));
        TimeSpan? disconnect = rng.Next(10) == 0 ? TimeSpan.FromMilliseconds(rng.Next(1, 200)) : null;
        return new FuzzRequest(seed.Target, seed.Method, seed.Path, bytes, contentType, headers, disconnect);
    }

    private T Pick<T>(T[] options) => options[rng.Next(options.Length)];

    private JsonNode RandomValue(int depth = 0) => rng.Next(depth > 2 ? 8 : 11) switch
    {
        0 => JsonValue.Create(rng.Next(-5, 5))!,
        1 => JsonValue.Create(Pick(new[] { -1e300, 1e300, double.Epsilon, 0.5, -0.0, 9007199254740993.0, 1e-320 }))!,
        2 => JsonValue.Create(Pick(new[] { long.MaxValue, long.MinValue, int.MaxValue + 1L, 100_000_000L, 0L }))!,
        3 => JsonValue.Create(Pick(OddStrings))!,
        4 => JsonValue.Create(rng.Next(2) == 0)!,
        5 => JsonValue.Create(new string('y', rng.Next(0, 40_000)))!,
        6 => JsonValue.Create(Pick(new[] { "1", "-1", "1e999", "NaN", "Infinity", "0x10", "5m", "-1s" }))!,
        7 => JsonValue.Create(rng.NextDouble() * 4 - 1)!,
        8 => new JsonArray(Enumerable.Range(0, rng.Next(0, 4)).Select(_ => (JsonNode?)RandomValue(depth + 1)).ToArray()),
        9 => new JsonObject { [Pick(new[] { "role", "content", "type", "text", "x" })] = RandomValue(depth + 1) },
        _ => new JsonArray(Enumerable.Range(0, rng.Next(50, 2000)).Select(i => (JsonNode?)JsonValue.Create(i)).ToArray()),
    };

    /// <summary>Replaces, removes or adds one value somewhere in the tree (null becomes JSON null).</summary>
    private JsonNode MutateTree(JsonNode root)
    {
        var containers = new List<JsonNode> { root };
        Collect(root, containers);
        var target = containers[rng.Next(containers.Count)];
        switch (target)
        {
            case JsonObject o when o.Count > 0:
                var key = o.ElementAt(rng.Next(o.Count)).Key;
                switch (rng.Next(4))
                {
                    case 0: o.Remove(key); break;
                    case 1: o[key] = null; break;
                    default: o[key] = RandomValue(); break;
                }
                break;
            case JsonObject o:
                o[Pick(new[] { "model", "messages", "prompt", "options", "stream" })] = RandomValue();
                break;
            case JsonArray a when a.Count > 0:
                a[rng.Next(a.Count)] = RandomValue();
                break;
            case JsonArray a:
                a.Add(RandomValue());
                break;
        }
        return root;
    }

    private static void Collect(JsonNode node, List<JsonNode> into)
    {
        IEnumerable<JsonNode?> children = node switch { JsonObject o => o.Select(p => p.Value), JsonArray a => a, _ => [] };
        foreach (var c in children)
            if (c is JsonObject or JsonArray) { into.Add(c); Collect(c, into); }
    }

    private byte[] FlipBytes(byte[] bytes)
    {
        var copy = bytes.ToArray();
        for (var i = 0; i < 1 + rng.Next(4) && copy.Length > 0; i++) copy[rng.Next(copy.Length)] = (byte)rng.Next(256);
        return copy;
    }

    private string InsertRaw(string json)
    {
        var at = json.IndexOf(':');
        if (at < 0) return json;
        return rng.Next(3) switch
        {
            0 => json.Insert(at + 1, "\"\\ud800\",\"x\":"),        // a lone surrogate escape as a value
            1 => json.Insert(1, "\"model\":\"dup\","),              // a duplicate key (or a first one)
            _ => json.Insert(at + 1, "\"\\u0000\\udfff\\ud83d\",\"y\":"),
        };
    }

    private byte[] Deep(byte[] bytes)
    {
        var depth = rng.Next(10, 300);
        var open = rng.Next(2) == 0 ? "[" : "{\"a\":";
        var close = open == "[" ? "]" : "}";
        var text = Encoding.UTF8.GetString(bytes);
        var at = text.LastIndexOf('}');
        if (at <= 0) return bytes;
        var nested = string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth));
        return Encoding.UTF8.GetBytes(text[..at] + ",\"deep\":" + nested + text[at..]);
    }
}
