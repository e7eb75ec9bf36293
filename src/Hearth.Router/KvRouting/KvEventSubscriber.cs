using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Hearth.Router.KvRouting;

/// <summary>Follows one replica's <c>GET /v1/kv_events?model=ID</c> stream into its <see cref="ReplicaPrefixIndex"/>
/// until cancelled: snapshot, update, load and reset events. When the stream cannot be opened or ends, the index is
/// reset (routing falls back for this replica) and the subscriber reconnects after a backoff (0.25 s doubling to 5 s,
/// back to the start after a stream that delivered a snapshot).</summary>
public sealed class KvEventSubscriber(HttpClient http, Uri upstreamBase, string? apiKey, string modelId, ReplicaPrefixIndex index)
{
    private static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(250), MaxBackoff = TimeSpan.FromSeconds(5);

    /// <summary>Streams opened and events applied (for tests and metrics).</summary>
    public int Connections => Volatile.Read(ref _connections);
    private int _connections;

    public async Task RunAsync(CancellationToken ct)
    {
        var backoff = MinBackoff;
        while (!ct.IsCancellationRequested)
        {
            var synced = false;
            try
            {
                synced = await FollowAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or JsonException or FormatException or InvalidDataException)
            {
                // The replica is down, restarting, or not a Hearth server: routing treats it as unknown until it answers.
            }
            finally
            {
                index.Reset();
            }
            backoff = synced ? MinBackoff : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            try { await Task.Delay(backoff, ct); }
            catch (OperationCanceledException) { break; }
        }
    }

    /// <summary>Reads one stream to its end; true when it delivered a snapshot.</summary>
    private async Task<bool> FollowAsync(CancellationToken ct)
    {
        var uri = new Uri(upstreamBase, "kv_events?model=" + Uri.EscapeDataString(modelId));
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (apiKey is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"kv_events answered {(int)response.StatusCode}");
        if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
            throw new InvalidDataException("kv_events is not an event stream");
        Interlocked.Increment(ref _connections);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        string? name = null;
        var data = new System.Text.StringBuilder();
        var synced = false;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0)
            {
                if (name is not null && data.Length > 0) synced |= Apply(name, data.ToString());
                name = null;
                data.Clear();
            }
            else if (line.StartsWith("event:", StringComparison.Ordinal)) name = line[6..].Trim();
            else if (line.StartsWith("data:", StringComparison.Ordinal)) data.Append(line.AsSpan(5).TrimStart(' '));
            // Comments (":") and unknown fields are ignored, as the SSE format says.
        }
        return synced;
    }

    /// <summary>Applies one event; true for a snapshot.</summary>
    private bool Apply(string name, string json)
    {
        var now = RouterState.NowMs;
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        switch (name)
        {
            case "snapshot":
                index.ApplySnapshot(root.GetProperty("block_size").GetInt32(), Hashes(root, "hashes"), now);
                return true;
            case "update":
                index.ApplyUpdate(Hashes(root, "stored"), Hashes(root, "removed"), now);
                return false;
            case "load":
                if (root.TryGetProperty("loaded", out var loaded) && loaded.ValueKind == JsonValueKind.False)
                {
                    index.Reset(); // nothing cached on a replica that has not loaded the model
                    return false;
                }
                index.ApplyLoad(root.GetProperty("running").GetInt32(), root.GetProperty("waiting").GetInt32(), root.GetProperty("kv_usage").GetDouble(), now);
                return false;
            case "reset":
                index.Reset();
                return false;
            default:
                return false;
        }
    }

    private static List<ulong> Hashes(JsonElement root, string property)
    {
        var list = new List<ulong>();
        if (!root.TryGetProperty(property, out var array)) return list;
        foreach (var h in array.EnumerateArray()) list.Add(ParseHash(h));
        return list;
    }

    /// <summary>One block hash as replicas write it in JSON (16 hex digits).</summary>
    internal static ulong ParseHash(JsonElement h) =>
        ulong.Parse(h.GetString() ?? throw new FormatException("a block hash is null"), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
}
