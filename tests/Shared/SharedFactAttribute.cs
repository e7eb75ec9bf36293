namespace Hearth.Tests;

/// <summary>A fact that needs ../shared/ (always present in CI); skipped with a stated reason when it is absent.</summary>
public sealed class SharedFactAttribute : FactAttribute
{
    public SharedFactAttribute()
    {
        if (TestPaths.Shared is null)
            Skip = "../shared/ is not present next to the repository (CI always has it)";
    }
}

/// <summary>A theory that needs ../shared/; skipped with a stated reason when it is absent.</summary>
public sealed class SharedTheoryAttribute : TheoryAttribute
{
    public SharedTheoryAttribute()
    {
        if (TestPaths.Shared is null)
            Skip = "../shared/ is not present next to the repository (CI always has it)";
    }
}
