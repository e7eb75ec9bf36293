namespace Hearth.Server.Http;

/// <summary>A request the server refuses with an HTTP status and an API-shaped error body
/// (OpenAI: {"error":{"message","type","param","code"}}; Ollama: {"error":"message"}).</summary>
public sealed class ApiException(int status, string message, string? param = null, string? code = null, string? type = null)
    : Exception(message)
{
    public int Status { get; } = status;
    public string? Param { get; } = param;
    public string? Code { get; } = code;
    /// <summary>OpenAI error type; derived from the status when null.</summary>
    public string Type { get; } = type ?? ErrorTypes.ForStatus(status);

    public static ApiException BadRequest(string message, string? param = null, string? code = null) => new(400, message, param, code);
}

/// <summary>OpenAI error "type" strings by status.</summary>
public static class ErrorTypes
{
    public static string ForStatus(int status) => status switch
    {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };
}
