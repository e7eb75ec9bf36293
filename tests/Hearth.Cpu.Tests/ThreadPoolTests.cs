using Hearth.Cpu;

namespace Hearth.Cpu.Tests;

/// <summary>The fork-join pool runs every chunk exactly once, on several threads, across many back-to-back runs
/// (including runs after the workers have gone to sleep).</summary>
public sealed class ThreadPoolTests
{
    private sealed class CountingJob(int count) : IParallelJob
    {
        public readonly int[] Hits = new int[count];
        public readonly int[] Threads = new int[8];
        public void Execute(int chunk, int thread)
        {
            Interlocked.Increment(ref Hits[chunk]);
            Interlocked.Increment(ref Threads[thread]);
            Thread.SpinWait(200);
        }
    }

    [Fact]
    public void EveryChunkRunsExactlyOnce()
    {
        using var pool = new CpuThreadPool(3);
        for (int run = 0; run < 200; run++)
        {
            int count = run % 17;
            var job = new CountingJob(count);
            pool.Run(job, count);
            Assert.All(job.Hits, h => Assert.Equal(1, h));
            if (run % 50 == 49) Thread.Sleep(30); // let workers fall asleep, then wake them
        }
        var big = new CountingJob(2000);
        pool.Run(big, 2000);
        Assert.All(big.Hits, h => Assert.Equal(1, h));
        Assert.Equal(2000, big.Threads.Sum());
    }
}
