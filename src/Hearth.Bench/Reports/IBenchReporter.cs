using Hearth.Bench.Running;

namespace Hearth.Bench.Reports;

/// <summary>What `hearth bench` prints on the console: progress while levels run, then the summary.</summary>
public interface IBenchReporter : IBenchObserver, IDisposable
{
    void WriteSummary(BenchReport report);
}
