using System.Threading.Channels;

namespace Hearth.Router.State;

/// <summary>Queues usage rows and writes them to the store in batches on a background task, so the request path
/// never waits for the disk. <see cref="FlushAsync"/> waits until everything queued before it is written.</summary>
public sealed class UsageLog : IAsyncDisposable
{
    private readonly Channel<object> _queue = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IRouterStore _db;
    private readonly Task _writer;

    public UsageLog(IRouterStore db)
    {
        _db = db;
        _writer = Task.Run(WriteLoopAsync);
    }

    public void Add(UsageRecord record) => _queue.Writer.TryWrite(record);

    public Task FlushAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _queue.Writer.TryWrite(done) ? done.Task : Task.CompletedTask;
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<UsageRecord>();
        var waiters = new List<TaskCompletionSource>();
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < 1000 && _queue.Reader.TryRead(out var item))
            {
                if (item is UsageRecord r) batch.Add(r);
                else waiters.Add((TaskCompletionSource)item);
            }
            try
            {
                if (batch.Count > 0) _db.InsertUsage(batch);
                foreach (var w in waiters) w.TrySetResult();
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"hearth router: writing {batch.Count} usage rows failed: {e.Message}");
                foreach (var w in waiters) w.TrySetException(e);
            }
            batch.Clear();
            waiters.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }
}
