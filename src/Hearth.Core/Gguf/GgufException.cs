namespace Hearth.Core.Gguf;

/// <summary>A GGUF file that cannot be read: truncated, corrupt, or using a feature Hearth does not support.
/// The message always names the file and the problem.</summary>
public sealed class GgufException : Exception
{
    public GgufException(string message) : base(message) { }
    public GgufException(string message, Exception inner) : base(message, inner) { }
}
