namespace Hearth.Core.Tests;

public class AssemblyLoadsTests
{
    [Fact]
    public void RepositoryRootIsFound() => Assert.True(File.Exists(Path.Combine(Hearth.Tests.TestPaths.RepoRoot, "Hearth.slnx")));
}
