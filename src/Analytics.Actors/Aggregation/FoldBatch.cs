using System.Collections.Concurrent;
using Analytics.Contracts;

namespace Analytics.Actors.Aggregation;

/// <summary>
/// What one drained batch adds to the rows: per breakdown, one <see cref="KeyDelta"/> per key the batch touched. The
/// pump fills it, hands the same instance to the aggregator of each breakdown it touched (each reads only its own
/// part), and never touches it again; the last aggregator to finish with it gives it back to the pump's
/// <see cref="FoldBatchPool"/>, so a steady stream of batches allocates nothing.
/// </summary>
internal sealed class FoldBatch
{
    private const int Dimensions = 3;

    private readonly FoldBatchPool _pool;
    private readonly KeyDelta[][] _deltas = [new KeyDelta[8], new KeyDelta[8], new KeyDelta[8]];
    private readonly int[] _counts = new int[Dimensions];
    private int _readers;

    internal FoldBatch(FoldBatchPool pool) => _pool = pool;

    /// <summary>The deltas of one breakdown.</summary>
    public ReadOnlySpan<KeyDelta> Deltas(StatsDimension dimension) => _deltas[(int)dimension].AsSpan(0, _counts[(int)dimension]);

    /// <summary>True when the batch touched a key of <paramref name="dimension"/>.</summary>
    public bool Touches(StatsDimension dimension) => _counts[(int)dimension] > 0;

    /// <summary>Pump only, while filling: adds a key's share of the batch.</summary>
    public void Add(StatsDimension dimension, BatchKey key)
    {
        var d = (int)dimension;
        ref var deltas = ref _deltas[d];
        if (_counts[d] == deltas.Length) Array.Resize(ref deltas, deltas.Length * 2);
        deltas[_counts[d]++] = new KeyDelta(key.Id, key.Key, key.Delta);
    }

    /// <summary>Pump only, before the first hand-over: how many aggregators will <see cref="Release"/> it.</summary>
    public void HandOver(int readers) => Volatile.Write(ref _readers, readers);

    /// <summary>An aggregator is done with it; the last one returns it to the pool.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _readers) != 0) return;
        Array.Clear(_counts);
        _pool.Return(this);
    }
}

/// <summary>One key's share of a batch: the id of its row in the aggregator, its name (for a new row) and the sum to add.</summary>
/// <param name="Id">The row's index in the aggregator (<see cref="BatchKey.Id"/>).</param>
/// <param name="Key">The model, provider or agent.</param>
/// <param name="Counters">What the batch adds.</param>
internal readonly record struct KeyDelta(int Id, string Key, UsageCounters Counters);

/// <summary>
/// The batches the aggregators gave back, for the pump to fill again. Rented by the pump, returned from the aggregators'
/// threads; it keeps at most a few (more are in flight only when the aggregators fall behind, and those go to the GC).
/// </summary>
internal sealed class FoldBatchPool(int retain)
{
    private readonly ConcurrentQueue<FoldBatch> _free = new();
    private int _count;

    /// <summary>An empty batch.</summary>
    public FoldBatch Rent()
    {
        if (!_free.TryDequeue(out var batch)) return new FoldBatch(this);
        Interlocked.Decrement(ref _count);
        return batch;
    }

    /// <summary>Takes back an emptied batch.</summary>
    public void Return(FoldBatch batch)
    {
        if (Interlocked.Increment(ref _count) <= retain) _free.Enqueue(batch);
        else Interlocked.Decrement(ref _count);
    }
}
