using System.Security.Cryptography;

namespace Hearth.Engine.Structured.Tools;

/// <summary>One function call the model made: a unique id, the function's name and its arguments as JSON text.</summary>
public sealed record ToolCall(string Id, string Name, string Arguments)
{
    /// <summary>A new call id: "call_" and 24 random alphanumerics (non-empty, unique in practice).</summary>
    public static string NewId() => "call_" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 24);
}

/// <summary>An answer split into its text content and its tool calls.</summary>
public sealed record ParsedAnswer(string Content, IReadOnlyList<ToolCall> Calls);
