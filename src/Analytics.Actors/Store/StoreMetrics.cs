using Analytics.Actors.Ingress;
using Analytics.Contracts;

using Analytics.Actors.Metrics;

namespace Analytics.Actors.Store;

/// <summary>
/// The store counters, shared by the writer stream (which settles batches), readers (<see cref="IUsageStore"/>) and
/// the commit barrier, which waits until every event handed to the store up to a point is settled. The queue is FIFO
/// and the writer commits batches in order, so "settled count reached N" means "the first N events are settled".
/// </summary>
internal sealed class StoreMetrics : IStoreSignals
{
    private readonly object _gate = new();
    private readonly List<(long Target, TaskCompletionSource Done)> _waiters = [];
    private EventTap? _tap;
    private long _inserted, _duplicates, _expired, _failed, _writeFailures;
    private string? _writeError;

    /// <summary>Connects the queue's tap, whose counts are <c>HandedToStore</c> and <c>StoreDropped</c>.</summary>
    public void Attach(EventTap tap) => Volatile.Write(ref _tap, tap);

    /// <summary>Events the queue took so far.</summary>
    public long Handed => Volatile.Read(ref _tap)?.Accepted ?? 0;

    /// <summary>Events the full queue refused so far.</summary>
    public long Dropped => Volatile.Read(ref _tap)?.Dropped ?? 0;

    /// <summary>Events of batches given up on so far.</summary>
    public long Failed => Volatile.Read(ref _failed);

    /// <summary>Counts a committed batch and releases the barriers it satisfies.</summary>
    public void Committed(BatchWritten written)
    {
        Volatile.Write(ref _writeError, null);
        Interlocked.Add(ref _inserted, written.Inserted);
        Interlocked.Add(ref _duplicates, written.Duplicates);
        Interlocked.Add(ref _expired, written.Expired);
        Release();
    }

    /// <summary>Counts a failed commit attempt and keeps why, for the meter and the health check, until a commit succeeds.</summary>
    public void WriteFailed(Exception e)
    {
        Interlocked.Increment(ref _writeFailures);
        Volatile.Write(ref _writeError, $"{e.GetType().Name}: {e.Message}");
    }

    /// <inheritdoc />
    public StoreSignals Read()
    {
        var handed = Handed;
        return new StoreSignals(Volatile.Read(ref _inserted), Volatile.Read(ref _duplicates), Volatile.Read(ref _writeFailures), Dropped,
            Math.Max(0, handed - Settled()), Volatile.Read(ref _writeError));
    }

    /// <summary>Counts a batch given up on (shutdown while it still failed) and releases the barriers it satisfies.</summary>
    public void GaveUp(int events)
    {
        Interlocked.Add(ref _failed, events);
        Release();
    }

    /// <summary>Completes once <paramref name="target"/> events are settled (at once if they are).</summary>
    public Task WhenSettled(long target, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (Settled() >= target) return Task.CompletedTask;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((target, done));
            return done.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Closes the books when the writer stopped without finishing its queue: what is still pending counts as failed.
    /// Call it only once the queue takes no more events.
    /// </summary>
    /// <returns>Events moved to failed.</returns>
    public long Close()
    {
        lock (_gate)
        {
            var pending = Math.Max(0, Handed - Settled());
            Interlocked.Add(ref _failed, pending);
            ReleaseLocked();
            return pending;
        }
    }

    /// <summary>The counters; <c>HandedToStore = Inserted + Duplicates + Expired + Failed + Pending</c> by construction.</summary>
    public StoreCounters Snapshot()
    {
        lock (_gate)
        {
            var handed = Handed;
            return new StoreCounters(handed, Volatile.Read(ref _inserted), Volatile.Read(ref _duplicates), Volatile.Read(ref _expired),
                Volatile.Read(ref _failed), Dropped, Math.Max(0, handed - Settled()));
        }
    }

    private long Settled() => Volatile.Read(ref _inserted) + Volatile.Read(ref _duplicates) + Volatile.Read(ref _expired) + Volatile.Read(ref _failed);

    private void Release()
    {
        lock (_gate) ReleaseLocked();
    }

    private void ReleaseLocked()
    {
        if (_waiters.Count == 0) return;
        var settled = Settled();
        _waiters.RemoveAll(w =>
        {
            if (w.Target > settled) return false;
            w.Done.TrySetResult();
            return true;
        });
    }
}
