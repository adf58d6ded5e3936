using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Event;
using Analytics.Contracts;

namespace Analytics.Actors.Aggregation;

/// <summary>
/// The pump's fold: accumulates one drained batch per key in place, then tells each touched key's
/// <see cref="AggregatorActor"/> one <see cref="AggregatorActor.Fold"/>, and keeps the rows the aggregators answer
/// with as the stats views. Pump only: not thread-safe.
/// </summary>
/// <remarks>
/// Accumulating per batch turns N events of one model into one message to its aggregator. The views are
/// <see cref="ImmutableDictionary{TKey,TValue}.Builder"/>s rather than dictionaries: a fold reply mutates in place and
/// <see cref="ImmutableDictionary{TKey,TValue}.Builder.ToImmutable"/> at snapshot time is O(1) (later writes copy only
/// what they touch), which keeps a stats Ask cheap however many keys exist.
/// <para>Keys are caller strings, and each costs an aggregator actor and its rows (about 4.5 KB): a breakdown holds at
/// most <see cref="AnalyticsOptions.MaxKeysPerBreakdown"/> keys, and events of any further new key are folded into
/// <see cref="OverflowKey"/>, so memory stays bounded and the totals and the sums over each breakdown stay exact.</para>
/// </remarks>
internal sealed class BatchFolder
{
    /// <summary>The row that takes the events of new keys once a breakdown is full.</summary>
    public const string OverflowKey = "(other)";

    private const int Dimensions = 3;

    private readonly Dictionary<string, UsageCounters>[] _batch = NewMaps<UsageCounters>();
    private readonly Dictionary<string, IActorRef>[] _children = NewMaps<IActorRef>();
    private readonly ImmutableDictionary<string, UsageRow>.Builder[] _views =
        [ImmutableDictionary.CreateBuilder<string, UsageRow>(), ImmutableDictionary.CreateBuilder<string, UsageRow>(), ImmutableDictionary.CreateBuilder<string, UsageRow>()];
    private readonly int[] _newKeys = new int[Dimensions];
    private readonly bool[] _overflowed = new bool[Dimensions];
    private readonly int _maxKeys;
    private readonly ILoggingAdapter? _log;
    private UsageCounters _totals;
    private int _outstanding;
    private int _childCount;
    private bool _dirty;

    /// <summary>Creates the fold.</summary>
    /// <param name="maxKeys">Most keys per breakdown before new ones go to <see cref="OverflowKey"/>.</param>
    /// <param name="log">Where the first overflow of each breakdown is reported.</param>
    public BatchFolder(int maxKeys = int.MaxValue, ILoggingAdapter? log = null)
    {
        _maxKeys = maxKeys;
        _log = log;
    }

    /// <summary>Everything folded so far (the aggregators' rows add up to it once they acknowledged).</summary>
    public ref readonly UsageCounters Totals => ref _totals;

    /// <summary>True when every fold told to an aggregator has been acknowledged, so the views are complete.</summary>
    public bool Settled => _outstanding == 0;

    /// <summary>Adds one request to its model, provider, agent (when it has one) and the totals.</summary>
    public void Add(string model, string provider, string? agent, in UsageCounters delta)
    {
        AddTo(StatsDimension.Model, model, delta);
        AddTo(StatsDimension.Provider, provider, delta);
        if (agent is not null) AddTo(StatsDimension.Agent, agent, delta);
        _totals.Add(delta);
        _dirty = true;
    }

    /// <summary>Tells each key touched since the last flush its delta; returns false when there was nothing to flush.</summary>
    public bool Flush(IUntypedActorContext context)
    {
        if (!_dirty) return false;
        _dirty = false;
        for (var d = 0; d < Dimensions; d++)
        {
            var map = _batch[d];
            if (map.Count == 0) continue;
            foreach (var (key, delta) in map)
            {
                Child(context, (StatsDimension)d, key).Tell(new AggregatorActor.Fold(delta), context.Self);
                _outstanding++;
            }
            map.Clear();
            _newKeys[d] = 0; // every key of the batch has its child now
        }
        return true;
    }

    /// <summary>Records an aggregator's new row; returns true when that settled the last outstanding fold.</summary>
    public bool Acknowledge(AggregatorActor.Folded folded)
    {
        _views[(int)folded.Dimension][folded.Key] = folded.Row;
        return --_outstanding == 0;
    }

    /// <summary>The rows of one breakdown as an immutable snapshot (O(1)).</summary>
    public ImmutableDictionary<string, UsageRow> View(StatsDimension dimension) => _views[(int)dimension].ToImmutable();

    private void AddTo(StatsDimension dimension, string key, in UsageCounters delta)
    {
        var d = (int)dimension;
        // One hash lookup per key and event: the counters are updated in place in the dictionary's own storage.
        ref var counters = ref CollectionsMarshal.GetValueRefOrAddDefault(_batch[d], key, out var inBatch);
        // A second lookup only for a key's first event in a batch, to tell a known key from a new one.
        if (!inBatch && !_children[d].ContainsKey(key))
        {
            if (_children[d].Count + _newKeys[d] >= _maxKeys && key != OverflowKey)
            {
                _batch[d].Remove(key);
                ReportOverflow(dimension);
                AddTo(dimension, OverflowKey, delta);
                return;
            }
            _newKeys[d]++;
        }
        counters.Add(delta);
    }

    private void ReportOverflow(StatsDimension dimension)
    {
        if (_overflowed[(int)dimension]) return;
        _overflowed[(int)dimension] = true;
        _log?.Warning("The {Dimension} breakdown reached Analytics:MaxKeysPerBreakdown ({MaxKeys} keys): events of further new {Dimension} keys are counted " +
                      "under \"{OverflowKey}\". The totals stay exact; raise the setting to see them apart (each key costs about 4.5 KB).",
            dimension.ToString().ToLowerInvariant(), _maxKeys, dimension.ToString().ToLowerInvariant(), OverflowKey);
    }

    private IActorRef Child(IUntypedActorContext context, StatsDimension dimension, string key)
    {
        var children = _children[(int)dimension];
        if (!children.TryGetValue(key, out var child))
        {
            // Keys are arbitrary caller strings, so actor names use a counter rather than the key.
            child = context.ActorOf(AggregatorActor.CreateProps(dimension, key), $"{dimension.ToString().ToLowerInvariant()}-{++_childCount}");
            children.Add(key, child);
        }
        return child;
    }

    private static Dictionary<string, T>[] NewMaps<T>() =>
        [new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal)];
}
