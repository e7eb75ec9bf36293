namespace Hearth.Core.Templates;

/// <summary>A chat-template error: a syntax error found while parsing, or a runtime error while rendering
/// (including <c>raise_exception(...)</c> called by the template). The message names the template line and column.</summary>
public sealed class TemplateException : Exception
{
    public TemplateException(string message, int line, int column)
        : base(line > 0 ? $"{message} (template line {line}, column {column})" : message)
    {
        Reason = message;
        Line = line;
        Column = column;
    }

    /// <summary>The error without the position suffix.</summary>
    public string Reason { get; }

    /// <summary>1-based template line, or 0 when unknown.</summary>
    public int Line { get; }

    /// <summary>1-based column on <see cref="Line"/>, or 0 when unknown.</summary>
    public int Column { get; }
}
