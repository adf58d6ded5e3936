using System.Runtime.InteropServices;
using Analytics.Actors.Percentiles;
using Analytics.Actors.Pump;
using Analytics.Contracts;

namespace Analytics.Actors.Aggregation;

/// <summary>
/// The pump's side of the aggregation: the key table of each breakdown (where keys are created, and capped), the
/// totals, and the batch being drained, summed per key in place. <see cref="TakeBatch"/> turns the batch into one
/// <see cref="FoldBatch"/> for the aggregators, which own the rows. Pump only: not thread-safe.
/// </summary>
/// <remarks>
/// <para>A request is added to its keys' batch deltas (no hash lookup: the pump holds the <see cref="BatchKey"/>s), so
/// however many events a batch holds, each aggregator gets one message with one delta per key it touched.</para>
/// <para>The totals stay here, so that the totals handed out with a snapshot are exactly the sum of what was handed
/// to each aggregator before it.</para>
/// <para>Latencies cannot be summed ahead (percentiles do not add up): a request that carried one adds a
/// <see cref="LatencyEntry"/> to the batch, with each latency's sketch bucket computed here once, and the aggregators
/// count it into their rows' sketches (the model aggregator into the totals' sketch too, since every request has
/// exactly one model).</para>
/// </remarks>
internal sealed class UsageFold
{
    /// <summary>The row that takes the events of new keys once a breakdown is full.</summary>
    public const string OverflowKey = "(other)";

    /// <summary>
    /// Latency entries a batch holds at most before <see cref="Full"/> says to hand it over: 2,048 entries are 80 KB,
    /// below the large object heap, and a drain to the tails of a large ring is handed over in such pieces rather than
    /// as one buffer the size of the ring.
    /// </summary>
    public const int MaxLatencies = 2_048;

    private readonly Dimension[] _dimensions;
    private readonly BatchPool<FoldBatch> _pool = FoldBatch.NewPool(retain: 8);
    private UsageCounters _totals;
    private FoldBatch? _batch;
    private bool _pending;

    /// <summary>Creates the fold.</summary>
    /// <param name="maxKeys">
    /// Most keys per breakdown (<see cref="AnalyticsOptions.MaxKeysPerBreakdown"/>): keys are caller strings, so events of
    /// any further new key are folded into <see cref="OverflowKey"/> instead, which bounds memory while the totals and the
    /// sums over each breakdown stay exact.
    /// </param>
    /// <param name="onOverflow">Called the first time a breakdown overflows, with its dimension.</param>
    public UsageFold(int maxKeys = int.MaxValue, Action<StatsDimension>? onOverflow = null)
    {
        _dimensions = [new(StatsDimension.Model, maxKeys, onOverflow), new(StatsDimension.Provider, maxKeys, onOverflow), new(StatsDimension.Agent, maxKeys, onOverflow)];
    }

    /// <summary>Everything folded so far; the sum of what each breakdown's aggregator was handed.</summary>
    public ref readonly UsageCounters Totals => ref _totals;

    /// <summary>True when the batch holds something not yet handed over.</summary>
    public bool Pending => _pending;

    /// <summary>True when the batch should be handed over before more is added (<see cref="MaxLatencies"/>).</summary>
    public bool Full => _batch is { LatencyCount: >= MaxLatencies };

    /// <summary>The key <paramref name="key"/> of <paramref name="dimension"/>, created on first use.</summary>
    public BatchKey Key(StatsDimension dimension, string key) => _dimensions[(int)dimension].Get(key);

    /// <summary>Adds one request to its model, provider, agent (when it has one) and the totals.</summary>
    public void Add(BatchKey model, BatchKey provider, BatchKey? agent, in FoldedRequest request)
    {
        Touch(StatsDimension.Model, model).Delta.Add(in request.Counters);
        Touch(StatsDimension.Provider, provider).Delta.Add(in request.Counters);
        if (agent is not null) Touch(StatsDimension.Agent, agent).Delta.Add(in request.Counters);
        _totals.Add(in request.Counters);
        _pending = true;
        if (request.DurationMs is null && request.TimeToFirstTokenMs is null) return;
        ref var entry = ref (_batch ??= _pool.Rent()).AddLatency();
        entry.Model = model.Id;
        entry.Provider = provider.Id;
        entry.Agent = agent?.Id ?? -1;
        (entry.DurationMs, entry.DurationBucket) = Bucketed(request.DurationMs);
        (entry.FirstTokenMs, entry.FirstTokenBucket) = Bucketed(request.TimeToFirstTokenMs);
    }

    /// <summary>Moves the batch into a <see cref="FoldBatch"/> for the aggregators and starts a new one; null when empty.</summary>
    public FoldBatch? TakeBatch()
    {
        if (!_pending) return null;
        _pending = false;
        var batch = _batch ?? _pool.Rent();
        _batch = null;
        for (var d = 0; d < _dimensions.Length; d++)
        {
            var touched = _dimensions[d].Touched;
            foreach (var key in touched)
            {
                batch.Add((StatsDimension)d, key);
                key.Delta = default;
                key.InBatch = false;
            }
            touched.Clear();
        }
        return batch;
    }

    private static (long Value, int Bucket) Bucketed(long? latency) => latency is { } value ? (value, LatencySketch.BucketOf(value)) : (-1, 0);

    private BatchKey Touch(StatsDimension dimension, BatchKey key)
    {
        if (!key.InBatch)
        {
            key.InBatch = true;
            _dimensions[(int)dimension].Touched.Add(key);
        }
        return key;
    }

    private sealed class Dimension(StatsDimension dimension, int maxKeys, Action<StatsDimension>? onOverflow)
    {
        private readonly Dictionary<string, BatchKey> _keys = new(StringComparer.Ordinal);
        private bool _overflowed;

        /// <summary>Keys the batch touched, each once.</summary>
        public List<BatchKey> Touched { get; } = [];

        public BatchKey Get(string key)
        {
            if (_keys.TryGetValue(key, out var known)) return known;
            if (_keys.Count >= maxKeys && key != OverflowKey)
            {
                if (!_overflowed)
                {
                    _overflowed = true;
                    onOverflow?.Invoke(dimension);
                }
                return Get(OverflowKey);
            }
            ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_keys, key, out _);
            return entry ??= new BatchKey(key, _keys.Count - 1);
        }
    }
}

/// <summary>
/// One request as the fold adds it: its counters, plus the raw values per-key state beyond counters may need. Fields,
/// not properties, and always passed by reference: a property of a struct this size would copy 104 bytes per read, and
/// the fold reads it four times per event.
/// </summary>
internal readonly ref struct FoldedRequest(ref readonly UsageCounters counters, long? durationMs, long? timeToFirstTokenMs)
{
    /// <summary>The request's counters (one request, its tokens, cost, durations).</summary>
    public readonly ref readonly UsageCounters Counters = ref counters;

    /// <summary>Its wall time, if measured.</summary>
    public readonly long? DurationMs = durationMs;

    /// <summary>Its time to first token, if measured.</summary>
    public readonly long? TimeToFirstTokenMs = timeToFirstTokenMs;
}
