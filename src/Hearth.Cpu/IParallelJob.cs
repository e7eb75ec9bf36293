namespace Hearth.Cpu;

/// <summary>A unit of parallel work: <see cref="Execute"/> is called once for every chunk index in
/// [0, count) of a <see cref="CpuThreadPool.Run"/>, from any pool thread. Implementations are reused
/// objects (one per op) so that running an op allocates nothing.</summary>
public interface IParallelJob
{
    void Execute(int chunk, int thread);
}
