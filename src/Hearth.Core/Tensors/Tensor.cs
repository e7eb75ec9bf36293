namespace Hearth.Core.Tensors;

/// <summary>An F32 activation buffer owned by a backend: <see cref="Rows"/> × <see cref="Columns"/>, row-major.
/// Ops take a row count so one buffer sized for the largest batch serves every smaller one.</summary>
public abstract class Tensor : IDisposable
{
    protected Tensor(int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        Rows = rows;
        Columns = columns;
    }

    /// <summary>Row capacity.</summary>
    public int Rows { get; }

    /// <summary>Elements per row.</summary>
    public int Columns { get; }

    public abstract void Dispose();
}
