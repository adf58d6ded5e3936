using System.Collections.Immutable;
using Akka.Cluster;
using Akka.DistributedData;
using Analytics.Contracts;

namespace Analytics.Actors.Cluster.Crdt;

/// <summary>
/// A grow-only map of counter rows, each row holding one vector of counters per node: the CRDT every node publishes its
/// usage into. Only a node increments its own vectors; a merge takes, per row, per node and per counter, the larger value,
/// so merging is commutative, associative and idempotent: gossip repeated or reordered never double-counts, and a merge
/// with a stale copy changes nothing. A row's value is the sum over its nodes (<see cref="Sum"/>).
/// </summary>
/// <remarks>
/// Vectors may differ in width (a node running a build with more <see cref="UsageCounter"/> members): a missing counter
/// is 0, so nodes of different versions merge. Values are never negative: increments are counts, which only grow.
/// Removed nodes are pruned the way Akka's GCounter is: the leader folds the removed node's vector into its own
/// (<see cref="Prune"/>), and replicas that still see the removed node's vector drop it once pruning is done
/// (<see cref="PruningCleanup"/>), so its counts survive in the survivor's vector, once.
/// </remarks>
internal sealed class UsageCounterMap : IReplicatedData<UsageCounterMap>, IRemovedNodePruning<UsageCounterMap>, IEquatable<UsageCounterMap>
{
    /// <summary>The map with no rows.</summary>
    public static readonly UsageCounterMap Empty = new(ImmutableDictionary<string, ImmutableDictionary<UniqueAddress, long[]>>.Empty.WithComparers(StringComparer.Ordinal));

    /// <summary>Creates a map from its rows (vectors are treated as immutable from here on).</summary>
    public UsageCounterMap(ImmutableDictionary<string, ImmutableDictionary<UniqueAddress, long[]>> rows) => Rows = rows;

    /// <summary>Row key -> node -> counters. The arrays are never changed after they are put here.</summary>
    public ImmutableDictionary<string, ImmutableDictionary<UniqueAddress, long[]>> Rows { get; }

    /// <summary>Every node with a vector in some row.</summary>
    public ImmutableHashSet<UniqueAddress> ModifiedByNodes
    {
        get
        {
            var nodes = ImmutableHashSet.CreateBuilder<UniqueAddress>();
            foreach (var row in Rows.Values) nodes.UnionWith(row.Keys);
            return nodes.ToImmutable();
        }
    }

    /// <summary>Adds <paramref name="deltas"/> (row key -> counters to add, all >= 0) to <paramref name="node"/>'s vectors, saturating.</summary>
    public UsageCounterMap Increment(UniqueAddress node, IEnumerable<KeyValuePair<string, long[]>> deltas)
    {
        var rows = Rows.ToBuilder();
        foreach (var (key, delta) in deltas)
        {
            for (var i = 0; i < delta.Length; i++)
            {
                if (delta[i] < 0) throw new ArgumentOutOfRangeException(nameof(deltas), delta[i], $"row '{key}' counter {i}: a count only grows, an increment must be >= 0");
            }
            var row = rows.TryGetValue(key, out var r) ? r : ImmutableDictionary<UniqueAddress, long[]>.Empty;
            rows[key] = row.SetItem(node, row.TryGetValue(node, out var current) ? Add(current, delta) : (long[])delta.Clone());
        }
        return new UsageCounterMap(rows.ToImmutable());
    }

    /// <summary>The row's counters summed over its nodes (saturating), as wide as <paramref name="width"/>; null when absent.</summary>
    public long[]? Sum(string key, int width)
    {
        if (!Rows.TryGetValue(key, out var row)) return null;
        var sum = new long[width];
        foreach (var vector in row.Values)
        {
            for (var i = 0; i < width && i < vector.Length; i++) sum[i] = UsageCountersMath.SaturatingAdd(sum[i], vector[i]);
        }
        return sum;
    }

    /// <inheritdoc />
    public UsageCounterMap Merge(UsageCounterMap other)
    {
        if (ReferenceEquals(this, other) || other.Rows.IsEmpty) return this;
        if (Rows.IsEmpty) return other;
        var rows = Rows.ToBuilder();
        foreach (var (key, theirs) in other.Rows)
        {
            if (!rows.TryGetValue(key, out var mine))
            {
                rows[key] = theirs;
                continue;
            }
            var merged = mine.ToBuilder();
            foreach (var (node, vector) in theirs)
                merged[node] = merged.TryGetValue(node, out var own) ? Max(own, vector) : vector;
            rows[key] = merged.ToImmutable();
        }
        return new UsageCounterMap(rows.ToImmutable());
    }

    /// <inheritdoc />
    public IReplicatedData Merge(IReplicatedData other) => Merge((UsageCounterMap)other);

    /// <inheritdoc />
    public bool NeedPruningFrom(UniqueAddress removedNode)
    {
        foreach (var row in Rows.Values)
        {
            if (row.ContainsKey(removedNode)) return true;
        }
        return false;
    }

    /// <inheritdoc />
    public UsageCounterMap Prune(UniqueAddress removedNode, UniqueAddress collapseInto)
    {
        var rows = Rows.ToBuilder();
        foreach (var (key, row) in Rows)
        {
            if (!row.TryGetValue(removedNode, out var removed)) continue;
            var rest = row.Remove(removedNode);
            rows[key] = rest.SetItem(collapseInto, rest.TryGetValue(collapseInto, out var survivor) ? Add(survivor, removed) : removed);
        }
        return new UsageCounterMap(rows.ToImmutable());
    }

    /// <inheritdoc />
    public UsageCounterMap PruningCleanup(UniqueAddress removedNode)
    {
        var rows = Rows.ToBuilder();
        foreach (var (key, row) in Rows)
        {
            if (!row.ContainsKey(removedNode)) continue;
            var rest = row.Remove(removedNode);
            // A row left with no node is no row: otherwise the map differs from one that never had it.
            if (rest.IsEmpty) rows.Remove(key);
            else rows[key] = rest;
        }
        return new UsageCounterMap(rows.ToImmutable());
    }

    IReplicatedData IRemovedNodePruning.Prune(UniqueAddress removedNode, UniqueAddress collapseInto) => Prune(removedNode, collapseInto);

    IReplicatedData IRemovedNodePruning.PruningCleanup(UniqueAddress removedNode) => PruningCleanup(removedNode);

    /// <inheritdoc />
    public bool Equals(UsageCounterMap? other)
    {
        if (other is null) return false;
        if (ReferenceEquals(this, other)) return true;
        if (Rows.Count != other.Rows.Count) return false;
        foreach (var (key, row) in Rows)
        {
            if (!other.Rows.TryGetValue(key, out var theirs) || row.Count != theirs.Count) return false;
            foreach (var (node, vector) in row)
            {
                if (!theirs.TryGetValue(node, out var v) || !SameCounts(vector, v)) return false;
            }
        }
        return true;
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is UsageCounterMap other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        // Order-independent: XOR of the rows' own hashes.
        var hash = Rows.Count;
        foreach (var (key, row) in Rows)
        {
            var rowHash = StringComparer.Ordinal.GetHashCode(key);
            foreach (var (node, vector) in row)
            {
                // Up to the last non-zero count: Equals treats a missing trailing counter as 0, so the hash must too.
                var length = vector.Length;
                while (length > 0 && vector[length - 1] == 0) length--;
                long total = 0;
                for (var i = 0; i < length; i++) total = unchecked(total * 31 + vector[i]);
                rowHash ^= HashCode.Combine(node, total);
            }
            hash ^= rowHash;
        }
        return hash;
    }

    /// <inheritdoc />
    public override string ToString() => $"UsageCounterMap({Rows.Count} rows, {ModifiedByNodes.Count} nodes)";

    private static long[] Add(long[] a, long[] b)
    {
        var sum = new long[Math.Max(a.Length, b.Length)];
        for (var i = 0; i < sum.Length; i++) sum[i] = UsageCountersMath.SaturatingAdd(i < a.Length ? a[i] : 0, i < b.Length ? b[i] : 0);
        return sum;
    }

    private static long[] Max(long[] a, long[] b)
    {
        if (ReferenceEquals(a, b)) return a;
        var max = new long[Math.Max(a.Length, b.Length)];
        for (var i = 0; i < max.Length; i++) max[i] = Math.Max(i < a.Length ? a[i] : 0, i < b.Length ? b[i] : 0);
        return max;
    }

    /// <summary>Equal counts, a missing trailing counter being 0.</summary>
    private static bool SameCounts(long[] a, long[] b)
    {
        for (var i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            if ((i < a.Length ? a[i] : 0) != (i < b.Length ? b[i] : 0)) return false;
        }
        return true;
    }
}

/// <summary>The Distributed Data key of one <see cref="UsageCounterMap"/>.</summary>
internal sealed class UsageCounterMapKey(string id) : Key<UsageCounterMap>(id);

/// <summary>Saturating addition of counts, the same ceiling as <see cref="UsageCounters"/>'s.</summary>
internal static class UsageCountersMath
{
    /// <summary>a + b for counts (both >= 0), pinned at <see cref="long.MaxValue"/> instead of wrapping.</summary>
    public static long SaturatingAdd(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;
}
