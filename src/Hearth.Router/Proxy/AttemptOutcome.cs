namespace Hearth.Router.Proxy;

/// <summary>What one attempt against one upstream came to.</summary>
public enum AttemptKind
{
    /// <summary>The response was forwarded (fully, or until a mid-stream break aborted the client connection).</summary>
    Done,
    /// <summary>Failed before any byte reached the client: another replica may be tried.</summary>
    Retryable,
    /// <summary>Upstream answered 400 about context length: try the next model in the fallback chain.</summary>
    ContextOverflow,
    /// <summary>Upstream's own 4xx answer (bad request, auth): forwarded as is, no retry.</summary>
    Final,
    /// <summary>The client went away.</summary>
    ClientGone,
}

/// <summary>An attempt's outcome plus, when the upstream answered an error, its status and body
/// (so the last one can be forwarded if nothing else succeeds).</summary>
public sealed record AttemptOutcome(AttemptKind Kind, int Status = 0, byte[]? Body = null, string? ContentType = null)
{
    public static readonly AttemptOutcome DoneOk = new(AttemptKind.Done);
    public static readonly AttemptOutcome Gone = new(AttemptKind.ClientGone);
    public static readonly AttemptOutcome Unreachable = new(AttemptKind.Retryable);
}
