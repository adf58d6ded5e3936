using System.Text;
using Akka.Cluster;
using Analytics.Actors.Cluster.Crdt;
using Analytics.Contracts;

namespace Analytics.Actors.Cluster.Publishing;

/// <summary>
/// What one node has published and what it publishes next: the difference between a fresh stats snapshot and everything
/// sent so far, row by row, routed to its shard (or to <c>(other)</c> past the cap). A round is taken as published the
/// moment it is planned: Distributed Data applies an update to the local replica at once, and a write that times out only
/// means other nodes did not confirm it yet, so a delta is never planned twice. Only an update the replicator refused
/// (<see cref="Revert"/>) goes back to unpublished. Not thread-safe: owned by the publisher actor.
/// </summary>
internal sealed class PublishPlan(ClusterLayout layout, UniqueAddress self)
{
    /// <summary>Width of the ingress row: accepted, dropped, rejected, folded, subscriber-dropped.</summary>
    public const int IngressWidth = 5;

    /// <summary>Width of the lifecycle row: budget thresholds, router starts, router stops.</summary>
    public const int LifecycleWidth = 3;

    private readonly Dictionary<string, long[]>[] _published = [new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal)];
    private readonly Dictionary<string, string>[] _routes = [new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal)];
    private readonly Dictionary<string, long[]> _nodeRows = new(StringComparer.Ordinal);
    private readonly long[] _overflowed = new long[3];
    private readonly long[][] _usedShards = [new long[layout.Shards], new long[layout.Shards], new long[layout.Shards]];
    private readonly Dictionary<UsageCounterMapKey, UsageCounterMap> _replica = [];
    private readonly HashSet<UsageCounterMapKey> _written = [];

    /// <summary>The keys this node ever wrote to (the final publish confirms each of them).</summary>
    public IReadOnlyCollection<UsageCounterMapKey> Written => _written;

    /// <summary>Distinct keys of each breakdown routed to <c>(other)</c> so far.</summary>
    public long Overflowed(Dimension dimension) => _overflowed[(int)dimension];

    /// <summary>What the local replica holds for <paramref name="key"/> (from change notifications); merged, so order never matters.</summary>
    public void Observe(UsageCounterMapKey key, UsageCounterMap value) =>
        _replica[key] = _replica.TryGetValue(key, out var known) ? known.Merge(value) : value;

    /// <summary>
    /// The deltas of <paramref name="snapshot"/> against everything published, by data key and row (only rows that
    /// changed); empty when nothing changed. Marks them published.
    /// </summary>
    public Round Next(UsageStats snapshot)
    {
        var round = new Round();
        foreach (var d in ClusterLayout.Dimensions)
        {
            var rows = d switch
            {
                Dimension.Model => snapshot.ByModel,
                Dimension.Provider => snapshot.ByProvider,
                _ => snapshot.ByAgent,
            };
            var room = new Room(this, d);
            foreach (var (key, row) in rows)
            {
                var current = Vector(row.Counters);
                if (Delta(_published[(int)d], key, current) is not { } delta) continue;
                if (!_routes[(int)d].TryGetValue(key, out var target))
                {
                    target = room.Admit(key, delta) ? key : ClusterLayout.OverflowKey;
                    if (target != key) _overflowed[(int)d]++;
                    _routes[(int)d][key] = target;
                }
                var shard = layout.ShardOf(target);
                _usedShards[(int)d][shard] = 1;
                round.Add(layout.ShardKey(d, shard), target, delta, d, key);
            }
            NodeRow(round, ClusterLayout.ShardsRow(d), [.. _usedShards[(int)d]]);
        }
        NodeRow(round, ClusterLayout.TotalsRow, Vector(snapshot.Totals.Counters));
        var i = snapshot.Ingress;
        NodeRow(round, ClusterLayout.IngressRow, [i.Accepted, i.Dropped, i.Rejected, i.Folded, i.SubscriberDropped]);
        var l = snapshot.Lifecycle;
        NodeRow(round, ClusterLayout.LifecycleRow, [l.BudgetThresholdsReached, l.RouterStarts, l.RouterStops]);
        NodeRow(round, ClusterLayout.OverflowRow, [.. _overflowed]);

        foreach (var (key, rows) in round.Deltas)
        {
            _written.Add(key);
            Observe(key, (_replica.TryGetValue(key, out var known) ? known : UsageCounterMap.Empty).Increment(self, rows));
        }
        return round;
    }

    /// <summary>The replicator refused the update of <paramref name="key"/> (it was not applied): its deltas are unpublished again.</summary>
    public void Revert(Round round, UsageCounterMapKey key)
    {
        if (!round.Sources.TryGetValue(key, out var sources)) return;
        foreach (var (dimension, source, delta) in sources)
        {
            var published = dimension is { } d ? _published[(int)d] : _nodeRows;
            var before = published[source];
            for (var k = 0; k < delta.Length; k++) before[k] -= delta[k];
        }
    }

    private void NodeRow(Round round, string row, long[] current)
    {
        if (Delta(_nodeRows, row, current) is { } delta) round.Add(ClusterLayout.NodeKey, row, delta, null, row);
    }

    /// <summary>current - published (negative parts, which counts never produce, clamped to 0), recording current as published; null when all 0.</summary>
    private static long[]? Delta(Dictionary<string, long[]> published, string key, long[] current)
    {
        if (!published.TryGetValue(key, out var before))
        {
            before = new long[current.Length];
            published[key] = before;
        }
        long[]? delta = null;
        for (var k = 0; k < current.Length; k++)
        {
            var d = current[k] - before[k];
            if (d <= 0) continue;
            delta ??= new long[current.Length];
            delta[k] = d;
            before[k] = current[k];
        }
        return delta;
    }

    private static long[] Vector(in UsageCounters counters)
    {
        var v = new long[UsageCounters.Count];
        foreach (var c in UsageCounters.All) v[(int)c] = counters[c];
        return v;
    }

    /// <summary>Estimated serialized size of a row entry: key, node index, width and the counters as variable-length integers.</summary>
    internal static int EntryBytes(string key, long[] vector)
    {
        var bytes = Encoding.UTF8.GetByteCount(key) + 2 + 2;
        foreach (var v in vector) bytes += VarintBytes(v);
        return bytes;
    }

    private static int VarintBytes(long v)
    {
        var n = 1;
        for (var u = (ulong)v; u >= 0x80; u >>= 7) n++;
        return n;
    }

    /// <summary>Room for new rows in one breakdown, as the local replica and this round see it.</summary>
    private sealed class Room(PublishPlan plan, Dimension dimension)
    {
        private int? _rows;
        private readonly Dictionary<int, (int Rows, int Bytes)> _shards = [];

        /// <summary>True when the row <paramref name="key"/> may be added: the breakdown is below its cap, its shard below its rows and bytes.</summary>
        public bool Admit(string key, long[] delta)
        {
            var layout = plan.Layout;
            var shard = layout.ShardOf(key);
            var map = plan.Known(layout.ShardKey(dimension, shard));
            // A row other nodes already published costs no new key.
            if (map.Rows.ContainsKey(key)) return true;
            _rows ??= CountRows();
            var (rows, bytes) = _shards.TryGetValue(shard, out var known) ? known : (map.Rows.Count, UsageCounterMapSerializer.Write(map).Length);
            var entry = EntryBytes(key, delta);
            if (_rows >= layout.MaxKeysPerDimension || rows >= ClusterLayout.RowsPerShard || bytes + entry > ClusterLayout.ShardByteBudget)
            {
                _shards[shard] = (rows, bytes);
                return false;
            }
            _rows++;
            _shards[shard] = (rows + 1, bytes + entry);
            return true;
        }

        private int CountRows()
        {
            var rows = 0;
            foreach (var key in plan.Layout.ShardKeys(dimension)) rows += plan.Known(key).Rows.Count;
            return rows;
        }
    }

    private ClusterLayout Layout => layout;

    private UsageCounterMap Known(UsageCounterMapKey key) => _replica.TryGetValue(key, out var map) ? map : UsageCounterMap.Empty;

    /// <summary>One publish: the rows to add per data key, and where each delta came from (to revert a refused update).</summary>
    public sealed class Round
    {
        /// <summary>Data key -> row -> counters to add.</summary>
        public Dictionary<UsageCounterMapKey, Dictionary<string, long[]>> Deltas { get; } = [];

        /// <summary>Data key -> (breakdown or null for the node key, source row, delta).</summary>
        public Dictionary<UsageCounterMapKey, List<(Dimension? Dimension, string Source, long[] Delta)>> Sources { get; } = [];

        /// <summary>True when nothing changed since the last round.</summary>
        public bool IsEmpty => Deltas.Count == 0;

        public void Add(UsageCounterMapKey key, string row, long[] delta, Dimension? dimension, string source)
        {
            if (!Deltas.TryGetValue(key, out var rows)) Deltas[key] = rows = new Dictionary<string, long[]>(StringComparer.Ordinal);
            if (rows.TryGetValue(row, out var sum))
            {
                for (var k = 0; k < sum.Length; k++) sum[k] = UsageCountersMath.SaturatingAdd(sum[k], delta[k]);
            }
            else
            {
                rows[row] = (long[])delta.Clone();
            }
            if (!Sources.TryGetValue(key, out var sources)) Sources[key] = sources = [];
            sources.Add((dimension, source, delta));
        }
    }
}
