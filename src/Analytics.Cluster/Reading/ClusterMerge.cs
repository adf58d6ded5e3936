using System.Collections.Immutable;
using Akka.Cluster;
using Analytics.Actors.Cluster.Crdt;
using Analytics.Actors.Cluster.Publishing;
using Analytics.Contracts;

namespace Analytics.Actors.Cluster.Reading;

/// <summary>Turns the published maps into one <see cref="ClusterUsage"/>: every row summed over its nodes, saturating.</summary>
internal static class ClusterMerge
{
    /// <summary>The shards of a breakdown any node wrote, by index (a node with a larger cap may have written more of them).</summary>
    public static IReadOnlyList<int> UsedShards(UsageCounterMap node, Dimension dimension)
    {
        var used = new SortedSet<int>();
        if (node.Rows.TryGetValue(ClusterLayout.ShardsRow(dimension), out var rows))
        {
            foreach (var vector in rows.Values)
            {
                for (var i = 0; i < vector.Length && i < ClusterLayout.MaxShards; i++)
                {
                    if (vector[i] > 0) used.Add(i);
                }
            }
        }
        return [.. used];
    }

    /// <summary>The merged view of the node key and every shard read.</summary>
    public static ClusterUsage Build(UsageCounterMap node, IReadOnlyDictionary<Dimension, IReadOnlyList<UsageCounterMap>> shards, ClusterReadConsistency consistency,
        DateTimeOffset asOf)
    {
        var ingress = node.Sum(ClusterLayout.IngressRow, PublishPlan.IngressWidth) ?? new long[PublishPlan.IngressWidth];
        var lifecycle = node.Sum(ClusterLayout.LifecycleRow, PublishPlan.LifecycleWidth) ?? new long[PublishPlan.LifecycleWidth];
        var overflow = node.Sum(ClusterLayout.OverflowRow, 3) ?? new long[3];
        var stats = new UsageStats
        {
            Totals = Row(node.Sum(ClusterLayout.TotalsRow, UsageCounters.Count)),
            ByModel = Rows(shards[Dimension.Model]),
            ByProvider = Rows(shards[Dimension.Provider]),
            ByAgent = Rows(shards[Dimension.Agent]),
            Ingress = new IngressCounters(ingress[0], ingress[1], ingress[2], ingress[3], Math.Max(0, ingress[0] - ingress[3]), ingress[4]),
            Lifecycle = new LifecycleCounters(lifecycle[0], lifecycle[1], lifecycle[2]),
            AsOf = asOf,
        };
        var byNode = ImmutableDictionary.CreateBuilder<string, UsageRow>(StringComparer.Ordinal);
        if (node.Rows.TryGetValue(ClusterLayout.TotalsRow, out var totals))
        {
            foreach (var (address, vector) in totals) byNode[Name(address)] = new UsageRow(Counters(vector));
        }
        return new ClusterUsage
        {
            Stats = stats, Consistency = consistency, ByNode = byNode.ToImmutable(), Overflowed = new ClusterOverflow(overflow[0], overflow[1], overflow[2]),
        };
    }

    /// <summary>A node as the view names it: its address and incarnation.</summary>
    public static string Name(UniqueAddress node) => $"{node.Address}#{node.Uid}";

    private static ImmutableDictionary<string, UsageRow> Rows(IReadOnlyList<UsageCounterMap> shards)
    {
        var sums = new Dictionary<string, UsageCounters>(StringComparer.Ordinal);
        foreach (var shard in shards)
        {
            foreach (var key in shard.Rows.Keys)
            {
                var row = Counters(shard.Sum(key, UsageCounters.Count)!);
                // A key sits in one shard per layout; nodes with different caps may have put it in two, which add up.
                sums[key] = sums.TryGetValue(key, out var known) ? known + row : row;
            }
        }
        var rows = ImmutableDictionary.CreateBuilder<string, UsageRow>(StringComparer.Ordinal);
        foreach (var (key, counters) in sums) rows[key] = new UsageRow(counters);
        return rows.ToImmutable();
    }

    private static UsageRow Row(long[]? vector) => vector is null ? UsageRow.Empty : new UsageRow(Counters(vector));

    private static UsageCounters Counters(long[] vector)
    {
        var c = default(UsageCounters);
        for (var i = 0; i < UsageCounters.Count && i < vector.Length; i++) c[(UsageCounter)i] = vector[i];
        return c;
    }
}
