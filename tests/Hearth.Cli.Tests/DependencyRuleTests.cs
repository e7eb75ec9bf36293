using System.Reflection;

namespace Hearth.Cli.Tests;

/// <summary>DESIGN.md §2's dependency rule: Core ← Cpu/Gpu; Core ← Engine (the engine never names a concrete backend);
/// Engine ← Store (model store, pulls, hosting) ← Server ← Cli; Bench (Core only) ← Server, whose web UI runs bench
/// sweeps in-process. Checked on the compiled assemblies' references, so a stray project reference fails here.</summary>
public class DependencyRuleTests
{
    public static TheoryData<string, string[]> AllowedHearthReferences => new()
    {
        { "Hearth.Core", [] },
        { "Hearth.Cpu", ["Hearth.Core"] },
        { "Hearth.Gpu", ["Hearth.Core"] },
        { "Hearth.Engine", ["Hearth.Core"] },
        { "Hearth.Store", ["Hearth.Core", "Hearth.Engine"] },
        { "Hearth.Server", ["Hearth.Core", "Hearth.Engine", "Hearth.Store", "Hearth.Bench"] },
        { "Hearth.Router", [] },
        { "Hearth.Bench", ["Hearth.Core"] },
    };

    [Theory]
    [MemberData(nameof(AllowedHearthReferences))]
    public void AssemblyReferencesOnlyWhatTheLayeringAllows(string assembly, string[] allowed)
    {
        var references = Assembly.Load(assembly).GetReferencedAssemblies()
            .Select(r => r.Name!)
            .Where(n => n.StartsWith("Hearth.", StringComparison.Ordinal))
            .ToArray();
        var forbidden = references.Except(allowed).ToArray();
        Assert.True(forbidden.Length == 0, $"{assembly} references {string.Join(", ", forbidden)}, which the dependency rule forbids");
    }
}
