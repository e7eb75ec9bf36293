namespace Hearth.Core.Tensors;

/// <summary>Optional backend capability: <see cref="IBackend.LoadWeight"/> and <see cref="IBackend.LoadWeightRows"/> may
/// run on several threads at once. The CPU backend re-lays out (packs) each matrix as it loads it, single-threaded per
/// matrix; a MoE file is thousands of expert matrices (gpt-oss-20b: 2,304, 12 GB), whose loads then spread over the
/// cores, one matrix per thread at a time (so the memory in flight stays a few matrices).</summary>
public interface IConcurrentWeightLoading;
