using System.Collections.Concurrent;

namespace Analytics.Actors.Pump;

/// <summary>
/// A buffer the pump fills during one drained batch and then hands, read-only, to one or more consumers on other threads
/// (the aggregators, the meters): the last consumer to <see cref="Release"/> it gives it back to its
/// <see cref="BatchPool{T}"/>, so a steady stream of batches allocates nothing.
/// </summary>
/// <typeparam name="TSelf">The buffer type.</typeparam>
internal abstract class HandedOverBatch<TSelf> where TSelf : HandedOverBatch<TSelf>
{
    private readonly BatchPool<TSelf> _pool;
    private int _readers;

    protected HandedOverBatch(BatchPool<TSelf> pool) => _pool = pool;

    /// <summary>Pump only, before the first consumer is given it: how many will <see cref="Release"/> it.</summary>
    public void HandOver(int readers) => Volatile.Write(ref _readers, readers);

    /// <summary>A consumer is done with it; the last one empties it and returns it to the pool.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _readers) != 0) return;
        Clear();
        _pool.Return((TSelf)this);
    }

    /// <summary>Empties the buffer for its next batch.</summary>
    protected abstract void Clear();
}

/// <summary>
/// The batches consumers gave back, for the pump to fill again. Rented by the pump, returned from the consumers' threads;
/// it keeps at most <paramref name="retain"/> (more are in flight only when consumers fall behind, and those go to the GC).
/// </summary>
/// <typeparam name="T">The buffer type.</typeparam>
internal sealed class BatchPool<T>(Func<BatchPool<T>, T> create, int retain) where T : class
{
    private readonly ConcurrentQueue<T> _free = new();
    private int _count;

    /// <summary>An empty batch.</summary>
    public T Rent()
    {
        if (!_free.TryDequeue(out var batch)) return create(this);
        Interlocked.Decrement(ref _count);
        return batch;
    }

    /// <summary>Takes back an emptied batch.</summary>
    public void Return(T batch)
    {
        if (Interlocked.Increment(ref _count) <= retain) _free.Enqueue(batch);
        else Interlocked.Decrement(ref _count);
    }
}
