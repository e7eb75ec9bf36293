using System.Runtime.CompilerServices;
namespace Hearth.Cpu;

/// <summary>A small fork-join pool in the style of ggml's: worker threads spin briefly on a generation counter
/// (so back-to-back ops start in microseconds), then sleep on a semaphore. The calling thread takes part in the
/// work; chunks are handed out by an atomic counter so uneven chunks balance themselves.
/// A run ends when its chunks are done, not when every worker has checked in: a worker the OS has not scheduled yet
/// (another process holds its core) would otherwise stall every run until it wakes — measured on the 2-core machine
/// with another process busy, 2 threads decoding Q4_K at about half the speed of 1. Late workers find no chunk left
/// and go back to waiting. So that a late worker never takes a chunk of a later run for one of its own, chunks are
/// claimed through a ticket that carries the run's generation beside the chunk index, and each run's job and chunk
/// count sit in one of two slots by generation parity (a run can only reuse a slot once the run before it is done).</summary>
public sealed class CpuThreadPool : IDisposable
{
    private readonly int _spinIterations;
    private readonly Thread[] _workers;
    private readonly SemaphoreSlim[] _wake;
    private readonly int[] _sleeping;
    private volatile int _generation;
    private volatile bool _stopping;
    private readonly IParallelJob?[] _jobs = new IParallelJob?[2];
    private readonly int[] _counts = new int[2];
    private long _ticket; // generation << 32 | next chunk index
    private int _done;    // chunks of the current run finished

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

    /// <summary>Called by worker <c>index</c> when it has seen a run and is about to claim chunks: tests hold a worker
    /// here to stand for one the OS has not scheduled.</summary>
    internal Action<int>? WorkerStartsForTests { get; set; }

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
        int gen = _generation + 1;
        _jobs[gen & 1] = job;
        _counts[gen & 1] = count;
        _done = 0;
        Interlocked.Exchange(ref _ticket, (long)gen << 32); // publishes the slot and _done before any claim
        _generation = gen;
        for (int i = 0; i < _workers.Length; i++)
            if (Interlocked.Exchange(ref _sleeping[i], 0) == 1)
                _wake[i].Release();
        Work(gen, 0);
        var spin = new SpinWait();
        while (Volatile.Read(ref _done) != count)
            spin.SpinOnce(-1);
        _jobs[gen & 1] = null;
    }

    /// <summary>Claims and runs chunks of run <paramref name="gen"/> until none is left, or the ticket shows a later
    /// run (this thread was late). A claim is a compare-exchange of a ticket that still shows this run and a chunk left,
    /// never a blind increment: a late thread's increment would take an index of the later run and lose that chunk.
    /// The slot is read before the first claim: a claim that succeeds for <paramref name="gen"/> proves no later run
    /// had started, so the slot was this run's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Work(int gen, int thread)
    {
        var job = _jobs[gen & 1];
        int count = _counts[gen & 1];
        if (job == null) return; // the run is over
        while (true)
        {
            long ticket = Volatile.Read(ref _ticket);
            if ((int)(ticket >> 32) != gen || (int)ticket >= count) return;
            if (Interlocked.CompareExchange(ref _ticket, ticket + 1, ticket) != ticket) continue;
            job.Execute((int)ticket, thread);
            Interlocked.Increment(ref _done);
        }
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
            WorkerStartsForTests?.Invoke(index);
            Work(seen, index + 1);
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
