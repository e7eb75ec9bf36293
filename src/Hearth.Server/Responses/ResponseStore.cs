using Hearth.Server.Generation;

namespace Hearth.Server.Responses;

/// <summary>A response kept for `store: true`: its JSON (GET /v1/responses/{id}) and its conversation — the input
/// messages after instructions plus the answer — which a later request continues with previous_response_id.</summary>
/// <param name="Owner">The API key that created it (an id; null when keys are off). Only that key can read it.</param>
public sealed record StoredResponse(string Id, string? Owner, byte[] Json, IReadOnlyList<ChatMessage> Conversation)
{
    /// <summary>What the entry counts against the store's byte limit.</summary>
    public long Bytes { get; } = Json.Length + Conversation.Sum(m => 2L * (m.Role.Length + m.Content.Length) + 64);
}

/// <summary>The in-memory store behind the Responses API: bounded by entry count and bytes, least recently used
/// entries evicted first; entries are visible only to the key that stored them. Thread-safe.</summary>
public sealed class ResponseStore(int capacity, long maxBytes)
{
    private readonly Dictionary<string, LinkedListNode<StoredResponse>> _byId = new(StringComparer.Ordinal);
    private readonly LinkedList<StoredResponse> _lru = new(); // most recently used first
    private readonly Lock _lock = new();
    private long _bytes;

    public int Count { get { lock (_lock) return _byId.Count; } }

    /// <summary>Stores a response, evicting the least recently used ones past the limits. One larger than the whole
    /// byte limit is not kept.</summary>
    public bool Add(StoredResponse response)
    {
        if (capacity <= 0 || response.Bytes > maxBytes) return false;
        lock (_lock)
        {
            RemoveLocked(response.Id);
            _byId[response.Id] = _lru.AddFirst(response);
            _bytes += response.Bytes;
            while (_byId.Count > capacity || _bytes > maxBytes) RemoveLocked(_lru.Last!.Value.Id);
            return true;
        }
    }

    /// <summary>The response with this id stored by <paramref name="owner"/>; null when there is none (another key's
    /// response is indistinguishable from a missing one).</summary>
    public StoredResponse? Find(string id, string? owner)
    {
        lock (_lock)
        {
            if (!_byId.TryGetValue(id, out var node) || node.Value.Owner != owner) return null;
            _lru.Remove(node);
            _lru.AddFirst(node);
            return node.Value;
        }
    }

    /// <summary>Deletes <paramref name="owner"/>'s response with this id; false when there is none.</summary>
    public bool Delete(string id, string? owner)
    {
        lock (_lock)
        {
            if (!_byId.TryGetValue(id, out var node) || node.Value.Owner != owner) return false;
            RemoveLocked(id);
            return true;
        }
    }

    private void RemoveLocked(string id)
    {
        if (!_byId.Remove(id, out var node)) return;
        _lru.Remove(node);
        _bytes -= node.Value.Bytes;
    }
}
