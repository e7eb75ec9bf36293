namespace Hearth.Core.Templates.Jinja;

internal enum TokenKind
{
    Data,
    VariableBegin,
    VariableEnd,
    BlockBegin,
    BlockEnd,
    Name,
    String,
    Integer,
    Float,
    Operator,
    Eof,
}

/// <summary>One lexer token. <see cref="Value"/> is the text (decoded for strings); positions are 1-based.</summary>
internal readonly record struct Token(TokenKind Kind, string Value, int Line, int Column)
{
    public bool IsOp(string op) => Kind == TokenKind.Operator && Value == op;

    public bool IsName(string name) => Kind == TokenKind.Name && Value == name;

    public override string ToString() => Kind switch
    {
        TokenKind.Eof => "end of template",
        TokenKind.BlockEnd => "end of statement block",
        TokenKind.VariableEnd => "end of print statement",
        TokenKind.Data => "template data",
        _ => $"'{Value}'",
    };
}
