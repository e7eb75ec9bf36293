using System.Diagnostics;
using Hearth.Bench.Metrics;
using Hearth.Bench.Workloads;

namespace Hearth.Bench.Running;

/// <summary>Sends one level's requests and collects their timelines. A level ends when all its requests are
/// done or when its duration is up, whichever is first; at the deadline no new request starts and requests
/// still running are cancelled and counted as cut off (neither completed nor failed).</summary>
public static class LevelRunner
{
    /// <summary>Sends one request; must throw OperationCanceledException when the token is cancelled.</summary>
    public delegate Task<RequestTimeline> Sender(BenchRequest request, double sendOffset, CancellationToken ct);

    public sealed record Outcome(IReadOnlyList<RequestTimeline> Requests, int CutOff, double DurationS);

    public static async Task<Outcome> RunAsync(Sender send, Workload workload, LevelPlan plan, LevelCounters counters, CancellationToken ct)
    {
        int n = Math.Min(plan.MaxRequests, workload.Requests.Count);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(plan.MaxDuration);
        var results = new List<RequestTimeline>(n);
        int cutOff = 0;
        long start = Stopwatch.GetTimestamp();
        double Elapsed() => Stopwatch.GetElapsedTime(start).TotalSeconds;

        async Task One(int i)
        {
            counters.Started();
            try
            {
                var r = await send(workload.Requests[i], Elapsed(), deadline.Token).ConfigureAwait(false);
                lock (results) results.Add(r);
                counters.Finished(r.Success);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                Interlocked.Increment(ref cutOff);
                counters.CutOff();
            }
        }

        if (plan.Mode == LoadMode.Concurrency)
        {
            int next = -1;
            async Task Worker()
            {
                while (!deadline.IsCancellationRequested)
                {
                    int i = Interlocked.Increment(ref next);
                    if (i >= n) break;
                    await One(i).ConfigureAwait(false);
                }
            }
            var workers = new Task[(int)plan.Value];
            for (int w = 0; w < workers.Length; w++) workers[w] = Task.Run(Worker, CancellationToken.None);
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        else
        {
            var arrivals = PoissonArrivals(plan.Value, n, plan.Seed);
            var running = new List<Task>(n);
            for (int i = 0; i < n && !deadline.IsCancellationRequested; i++)
            {
                // Timers may fire a millisecond or two early, so wait again until the arrival time has really come.
                double wait;
                while ((wait = arrivals[i] - Elapsed()) > 0 && !deadline.IsCancellationRequested)
                {
                    try { await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(wait * 1000)), deadline.Token).ConfigureAwait(false); }
                    catch (OperationCanceledException) when (deadline.IsCancellationRequested) { }
                }
                if (deadline.IsCancellationRequested) break;
                int index = i;
                running.Add(Task.Run(() => One(index), CancellationToken.None));
            }
            await Task.WhenAll(running).ConfigureAwait(false);
        }

        double duration = Math.Max(Elapsed(), 1e-9);
        ct.ThrowIfCancellationRequested();
        results.Sort((a, b) => a.SendOffset.CompareTo(b.SendOffset));
        return new Outcome(results, cutOff, duration);
    }

    /// <summary>Send times (seconds from the level start) of a Poisson process with the given mean rate:
    /// exponential gaps −ln(1−U)/rate from a seeded generator, so a run can be repeated exactly. The first
    /// request goes at time 0.</summary>
    public static double[] PoissonArrivals(double ratePerSecond, int count, int seed)
    {
        if (!(ratePerSecond > 0) || !double.IsFinite(ratePerSecond)) throw new ArgumentOutOfRangeException(nameof(ratePerSecond));
        var rng = new Random(seed);
        var times = new double[count];
        double t = 0;
        for (int i = 0; i < count; i++)
        {
            times[i] = t;
            t += -Math.Log(1.0 - rng.NextDouble()) / ratePerSecond;
        }
        return times;
    }
}
