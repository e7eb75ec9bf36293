namespace Hearth.Core.Templates.Jinja;

/// <summary>A render-time error without a position yet; the interpreter adds the line of the node being evaluated.</summary>
internal sealed class RuntimeFailure(string message) : Exception(message);
