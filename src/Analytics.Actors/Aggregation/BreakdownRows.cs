using System.Collections.Immutable;
using Analytics.Actors.Percentiles;
using Analytics.Contracts;

namespace Analytics.Actors.Aggregation;

/// <summary>
/// The state an <see cref="AggregatorActor"/> owns: every row of its breakdown (one <see cref="KeyAccumulator"/> per key,
/// found by the key's id), the immutable view of them, and, for the model breakdown, the totals' latency sketches. Its
/// actor only: not thread-safe.
/// </summary>
/// <remarks>
/// The view is an <see cref="ImmutableDictionary{TKey,TValue}.Builder"/>: a report sets only the rows that changed since
/// the previous report (once each, however many batches touched them), and
/// <see cref="ImmutableDictionary{TKey,TValue}.Builder.ToImmutable"/> is O(1), so a report costs what changed, not the
/// number of keys. Percentiles are computed there too, only for the rows that changed.
/// </remarks>
internal sealed class BreakdownRows(StatsDimension dimension)
{
    private readonly List<KeyAccumulator> _changed = [];
    private readonly ImmutableDictionary<string, UsageRow>.Builder _view = ImmutableDictionary.CreateBuilder<string, UsageRow>(StringComparer.Ordinal);
    private KeyAccumulator?[] _rows = new KeyAccumulator?[16];
    private LatencySketch? _totalDurations, _totalTimesToFirstToken;
    private LatencyPercentiles? _totalDurationPercentiles, _totalTimeToFirstTokenPercentiles;
    private bool _totalsChanged;

    /// <summary>Which breakdown.</summary>
    public StatsDimension Dimension { get; } = dimension;

    /// <summary>Adds this breakdown's share of <paramref name="batch"/>: its keys' deltas, then its requests' latencies.</summary>
    public void Add(FoldBatch batch)
    {
        Add(batch.Deltas(Dimension));
        Add(batch.Latencies);
    }

    /// <summary>The view and the totals' percentiles after everything added so far, named as fold <paramref name="sequence"/>.</summary>
    public AggregatorActor.Folded Report(long sequence)
    {
        if (_totalsChanged)
        {
            _totalDurationPercentiles = _totalDurations?.Percentiles();
            _totalTimeToFirstTokenPercentiles = _totalTimesToFirstToken?.Percentiles();
            _totalsChanged = false;
        }
        return new AggregatorActor.Folded(Dimension, sequence, View(), _totalDurationPercentiles, _totalTimeToFirstTokenPercentiles);
    }

    private void Add(ReadOnlySpan<KeyDelta> deltas)
    {
        foreach (ref readonly var delta in deltas)
        {
            var row = Row(delta.Id, delta.Key);
            row.Add(delta.Counters);
            if (row.Changed) continue;
            row.Changed = true;
            _changed.Add(row);
        }
    }

    /// <summary>Counts each request's latencies into its row's sketches (every row the batch names has a delta in it).</summary>
    private void Add(ReadOnlySpan<LatencyEntry> latencies)
    {
        if (latencies.IsEmpty) return;
        // One loop per breakdown, specialised by the JIT for its key field: no switch per request.
        switch (Dimension)
        {
            case StatsDimension.Model:
                Add<ModelKey>(latencies);
                foreach (ref readonly var entry in latencies) KeyAccumulator.AddLatencies(ref _totalDurations, ref _totalTimesToFirstToken, entry);
                _totalsChanged = true;
                break;
            case StatsDimension.Provider:
                Add<ProviderKey>(latencies);
                break;
            default:
                Add<AgentKey>(latencies);
                break;
        }
    }

    private void Add<TKey>(ReadOnlySpan<LatencyEntry> latencies) where TKey : struct, IEntryKey
    {
        var rows = _rows;
        foreach (ref readonly var entry in latencies)
        {
            var id = TKey.Of(entry);
            if (id >= 0) rows[id]!.Add(entry);
        }
    }

    /// <summary>The row of key id <paramref name="id"/>, created on its first delta.</summary>
    private KeyAccumulator Row(int id, string key)
    {
        if (id >= _rows.Length) Array.Resize(ref _rows, Math.Max(_rows.Length * 2, id + 1));
        return _rows[id] ??= new KeyAccumulator(key);
    }

    /// <summary>Which key of a <see cref="LatencyEntry"/> a breakdown counts it under.</summary>
    private interface IEntryKey
    {
        static abstract int Of(in LatencyEntry entry);
    }

    private readonly struct ModelKey : IEntryKey
    {
        public static int Of(in LatencyEntry entry) => entry.Model;
    }

    private readonly struct ProviderKey : IEntryKey
    {
        public static int Of(in LatencyEntry entry) => entry.Provider;
    }

    private readonly struct AgentKey : IEntryKey
    {
        public static int Of(in LatencyEntry entry) => entry.Agent;
    }

    private ImmutableDictionary<string, UsageRow> View()
    {
        foreach (var row in _changed)
        {
            _view[row.Key] = row.ToRow();
            row.Changed = false;
        }
        _changed.Clear();
        return _view.ToImmutable();
    }
}
