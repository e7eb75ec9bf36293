using System.Runtime.CompilerServices;
namespace Hearth.Cpu;

/// <summary>A small fork-join pool in the style of ggml's: worker threads spin briefly on a generation counter
/// (so back-to-back ops start in microseconds), then sleep on a semaphore. The calling thread takes part in the
/// work; chunks are handed out by an atomic counter so uneven chunks balance themselves.</summary>
public sealed class CpuThreadPool : IDisposable
{
    private readonly int _spinIterations;
    private readonly Thread[] _workers;
    private readonly SemaphoreSlim[] _wake;
    private readonly int[] _sleeping;
    private volatile int _generation;
    private volatile bool _stopping;
    private IParallelJob? _job;
    private int _count;
    private int _next;
    private int _active;

    public CpuThreadPool(int threads) : this(threads, spinIterations: 1_000) { }

    /// <summary><paramref name="spinIterations"/>: how long an idle worker spins before it sleeps (tests use 1, so every
    /// run goes through the sleep-and-wake path).</summary>
    internal CpuThreadPool(int threads, int spinIterations)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ThreadCount = threads;
        _spinIterations = spinIterations;
        _workers = new Thread[threads - 1];
        _wake = new SemaphoreSlim[threads - 1];
        _sleeping = new int[threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            _wake[i] = new SemaphoreSlim(0);
            int index = i;
            _workers[i] = new Thread(() => WorkerLoop(index)) { IsBackground = true, Name = $"hearth-cpu-{i + 1}" };
            _workers[i].Start();
        }
    }

    /// <summary>Threads doing work, the caller included.</summary>
    public int ThreadCount { get; }

    /// <summary>Runs job.Execute(i) for every i in [0, count) and returns when all are done.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(IParallelJob job, int count)
    {
        if (count <= 0) return;
        if (count == 1 || _workers.Length == 0)
        {
            for (int i = 0; i < count; i++) job.Execute(i, 0);
            return;
        }
        _job = job;
        _count = count;
        _next = 0;
        _active = _workers.Length;
        Interlocked.Increment(ref _generation);
        for (int i = 0; i < _workers.Length; i++)
            if (Interlocked.Exchange(ref _sleeping[i], 0) == 1)
                _wake[i].Release();
        Work(job, 0);
        var spin = new SpinWait();
        while (Volatile.Read(ref _active) != 0)
            spin.SpinOnce(-1);
        _job = null;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Work(IParallelJob job, int thread)
    {
        int i;
        while ((i = Interlocked.Increment(ref _next) - 1) < _count)
            job.Execute(i, thread);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WorkerLoop(int index)
    {
        int seen = 0;
        while (true)
        {
            int spins = 0;
            while (_generation == seen && !_stopping)
            {
                if (++spins < _spinIterations)
                {
                    Thread.SpinWait(8);
                    continue;
                }
                // Going to sleep: announce it, then re-check so a Run that started meanwhile is not missed.
                // A full fence (not a release write): on x86 a plain store may still sit in the store buffer when the
                // next load runs, so Run could read the flag as 0 (and not release us) while we read the old generation
                // (and sleep): a lost wakeup that left Run spinning forever. Found as an engine hang under load.
                Interlocked.Exchange(ref _sleeping[index], 1);
                if (_generation != seen || _stopping)
                {
                    if (Interlocked.Exchange(ref _sleeping[index], 0) == 0)
                        _wake[index].Wait(); // Run already took our flag and released us: consume it.
                    break;
                }
                _wake[index].Wait();
                spins = 0;
            }
            if (_stopping) return;
            seen = _generation;
            var job = _job;
            if (job != null) Work(job, index + 1);
            Interlocked.Decrement(ref _active);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        for (int i = 0; i < _workers.Length; i++)
            if (Interlocked.Exchange(ref _sleeping[i], 0) == 1)
                _wake[i].Release();
        foreach (var w in _workers) w.Join();
        foreach (var s in _wake) s.Dispose();
    }
}
