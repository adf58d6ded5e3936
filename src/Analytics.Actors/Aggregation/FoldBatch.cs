using Analytics.Actors.Pump;
using Analytics.Contracts;

namespace Analytics.Actors.Aggregation;

/// <summary>
/// What one drained batch adds to the rows: per breakdown, one <see cref="KeyDelta"/> per key the batch touched, and one
/// <see cref="LatencyEntry"/> per request that carried a latency (for the percentiles, which cannot be summed ahead). The
/// pump fills it, hands the same instance to the aggregator of each breakdown it touched (each reads only its own
/// part), and never touches it again; the last aggregator to finish with it gives it back to the pump's pool.
/// </summary>
internal sealed class FoldBatch : HandedOverBatch<FoldBatch>
{
    private const int Dimensions = 3;

    private readonly KeyDelta[][] _deltas = [new KeyDelta[8], new KeyDelta[8], new KeyDelta[8]];
    private readonly int[] _counts = new int[Dimensions];
    private LatencyEntry[] _latencies = new LatencyEntry[64];
    private int _latencyCount;

    internal FoldBatch(BatchPool<FoldBatch> pool) : base(pool)
    {
    }

    /// <summary>A pool of fold batches.</summary>
    public static BatchPool<FoldBatch> NewPool(int retain) => new(pool => new FoldBatch(pool), retain);

    /// <summary>The deltas of one breakdown.</summary>
    public ReadOnlySpan<KeyDelta> Deltas(StatsDimension dimension) => _deltas[(int)dimension].AsSpan(0, _counts[(int)dimension]);

    /// <summary>The requests of the batch that carried a latency, in order.</summary>
    public ReadOnlySpan<LatencyEntry> Latencies => _latencies.AsSpan(0, _latencyCount);

    /// <summary>How many <see cref="Latencies"/> the pump added so far.</summary>
    public int LatencyCount => _latencyCount;

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

    /// <summary>Pump only, while filling: the next latency entry, to fill in place.</summary>
    public ref LatencyEntry AddLatency()
    {
        if (_latencyCount == _latencies.Length) Array.Resize(ref _latencies, _latencies.Length * 2);
        return ref _latencies[_latencyCount++];
    }

    /// <inheritdoc />
    protected override void Clear()
    {
        Array.Clear(_counts);
        _latencyCount = 0;
    }
}

/// <summary>One key's share of a batch: the id of its row in the aggregator, its name (for a new row) and the sum to add.</summary>
/// <param name="Id">The row's index in the aggregator (<see cref="BatchKey.Id"/>).</param>
/// <param name="Key">The model, provider or agent.</param>
/// <param name="Counters">What the batch adds.</param>
internal readonly record struct KeyDelta(int Id, string Key, UsageCounters Counters);

/// <summary>
/// One request's latencies with their sketch buckets, computed once by the pump (<c>LatencySketch.BucketOf</c>) for every
/// sketch they go into, and the ids of its keys. A latency the request did not carry is -1.
/// </summary>
internal struct LatencyEntry
{
    /// <summary>The model key's id.</summary>
    public int Model;

    /// <summary>The provider key's id.</summary>
    public int Provider;

    /// <summary>The agent key's id, or -1 without an agent.</summary>
    public int Agent;

    /// <summary>The duration's bucket.</summary>
    public int DurationBucket;

    /// <summary>The time to first token's bucket.</summary>
    public int FirstTokenBucket;

    /// <summary>The duration in milliseconds, or -1.</summary>
    public long DurationMs;

    /// <summary>The time to first token in milliseconds, or -1.</summary>
    public long FirstTokenMs;
}
