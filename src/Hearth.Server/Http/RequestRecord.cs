using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.Http;

/// <summary>What a handler learned about one request, for its single log line.</summary>
public sealed class RequestRecord
{
    private static readonly object Key = new();
    public string Id { get; } = NewId();
    public long StartTimestamp { get; } = Stopwatch.GetTimestamp();
    public DateTimeOffset StartTime { get; } = DateTimeOffset.UtcNow;
    public string? Model { get; set; }
    public int PromptTokens { get; set; }
    public int CompletionTokens { get; set; }
    public TimeSpan? TimeToFirstToken { get; set; }
    /// <summary>Which API key authenticated the request (an id, never the key); null when keys are off.</summary>
    public string? Caller { get; set; }
    /// <summary>Overrides the response status in the log (e.g. 499 when the client left).</summary>
    public int? Status { get; set; }

    public static RequestRecord Of(HttpContext ctx)
    {
        if (ctx.Items.TryGetValue(Key, out var r) && r is RequestRecord rec) return rec;
        var created = new RequestRecord();
        ctx.Items[Key] = created;
        return created;
    }

    /// <summary>24 lowercase hex characters, like OpenAI's ids.</summary>
    public static string NewId() => Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().AsSpan(0, 12));
}
