using System.Runtime.CompilerServices;
using Analytics.Actors.Percentiles;
using Analytics.Contracts;

namespace Analytics.Actors.Aggregation;

/// <summary>
/// The running row of one key (one model, one provider or one agent), owned by its breakdown's
/// <see cref="AggregatorActor"/>: batches are added in place, <see cref="ToRow"/> makes the immutable row a view hands out.
/// Besides the counters it keeps the latency sketches of the key's percentiles (created by the first latency).
/// </summary>
internal sealed class KeyAccumulator(string key)
{
    private UsageCounters _counters;
    private LatencySketch? _durations;
    private LatencySketch? _timesToFirstToken;

    /// <summary>The model, provider or agent.</summary>
    public string Key { get; } = key;

    /// <summary>Everything added so far.</summary>
    public ref readonly UsageCounters Counters => ref _counters;

    /// <summary>True when the row changed since the aggregator's last view.</summary>
    public bool Changed { get; set; }

    /// <summary>Adds one batch's share.</summary>
    public void Add(in UsageCounters delta) => _counters.Add(in delta);

    /// <summary>Adds one request's latencies (a value of -1 is one it did not carry).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(in LatencyEntry entry) => AddLatencies(ref _durations, ref _timesToFirstToken, entry);

    /// <summary>The immutable row for a view, percentiles included.</summary>
    public UsageRow ToRow() => new(_counters)
    {
        DurationMsPercentiles = _durations?.Percentiles(),
        TimeToFirstTokenMsPercentiles = _timesToFirstToken?.Percentiles(),
    };

    /// <summary>Counts a request's latencies into a pair of sketches (a key's or the totals').</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddLatencies(ref LatencySketch? durations, ref LatencySketch? timesToFirstToken, in LatencyEntry entry)
    {
        if (entry.DurationMs >= 0) (durations ??= new LatencySketch()).Add(entry.DurationMs, entry.DurationBucket);
        if (entry.FirstTokenMs >= 0) (timesToFirstToken ??= new LatencySketch()).Add(entry.FirstTokenMs, entry.FirstTokenBucket);
    }
}
