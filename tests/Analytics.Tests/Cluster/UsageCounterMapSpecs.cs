using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Cluster;
using Analytics.Actors.Cluster.Crdt;

namespace Analytics.Tests.Cluster;

/// <summary>
/// The CRDT every node publishes into, without a cluster: merges in any order agree, a repeated merge changes nothing, a
/// removed node's counts survive pruning exactly once, and the wire format round-trips and refuses garbage.
/// </summary>
public sealed class UsageCounterMapSpecs
{
    internal static readonly UniqueAddress A = Node(1), B = Node(2), C = Node(3);

    internal static UniqueAddress Node(int n) => new(new Address("akka.tcp", "analytics", "127.0.0.1", 4000 + n), 100 + n);

    /// <summary>A replica history: <paramref name="steps"/> random increments by random nodes of random rows.</summary>
    private static UsageCounterMap Random(Random random, UniqueAddress[] nodes, int steps)
    {
        var map = UsageCounterMap.Empty;
        for (var i = 0; i < steps; i++)
        {
            var row = $"row-{random.Next(6)}";
            var delta = new long[random.Next(1, 14)];
            for (var k = 0; k < delta.Length; k++) delta[k] = random.Next(0, 3) == 0 ? 0 : random.NextInt64(0, 1_000_000_000);
            map = map.Increment(nodes[random.Next(nodes.Length)], [new(row, delta)]);
        }
        return map;
    }

    /// <summary>Three replicas that each saw a different part of one history (a node increments only in its own replica).</summary>
    private static UsageCounterMap[] Replicas(int seed)
    {
        var random = new Random(seed);
        return [Random(random, [A], 20), Random(random, [B], 20), Random(random, [C], 20)];
    }

    public static TheoryData<int> Seeds => [1, 2, 3, 4, 5, 6, 7, 8];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Merging_in_any_order_gives_the_same_map(int seed)
    {
        var replicas = Replicas(seed);
        var (a, b, c) = (replicas[0], replicas[1], replicas[2]);
        var reference = a.Merge(b).Merge(c);

        Assert.Equal(reference, c.Merge(b).Merge(a));
        Assert.Equal(reference, b.Merge(a.Merge(c)));
        Assert.Equal(reference, a.Merge(c.Merge(b)));
        Assert.Equal(3, reference.ModifiedByNodes.Count);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void A_repeated_or_stale_merge_changes_nothing(int seed)
    {
        var replicas = Replicas(seed);
        var merged = replicas[0].Merge(replicas[1]).Merge(replicas[2]);

        Assert.Equal(merged, merged.Merge(merged));
        Assert.Equal(merged, merged.Merge(replicas[1]));
        // Gossip delivering an older copy of a replica after a newer one changes nothing either.
        var newer = replicas[0].Increment(A, [new("row-0", [5, 1])]);
        Assert.Equal(newer.Merge(replicas[1]), newer.Merge(replicas[1]).Merge(replicas[0]));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void A_row_is_the_sum_of_each_nodes_own_increments(int seed)
    {
        var random = new Random(seed);
        var replicas = new Dictionary<UniqueAddress, UsageCounterMap> { [A] = UsageCounterMap.Empty, [B] = UsageCounterMap.Empty };
        long expected = 0;
        for (var i = 0; i < 50; i++)
        {
            var node = random.Next(2) == 0 ? A : B;
            var amount = random.NextInt64(0, 1_000);
            expected += amount;
            replicas[node] = replicas[node].Increment(node, [new("r", [amount])]);
            // Gossip at random moments, any number of times.
            if (random.Next(3) == 0) replicas[A] = replicas[A].Merge(replicas[B]);
        }

        var merged = replicas[A].Merge(replicas[B]).Merge(replicas[A]);

        Assert.Equal(expected, merged.Sum("r", 1)![0]);
    }

    [Fact]
    public void A_removed_nodes_counts_survive_pruning_once_and_stale_copies_do_not_bring_them_back()
    {
        var replicas = Replicas(42);
        var full = replicas[0].Merge(replicas[1]).Merge(replicas[2]);
        var before = Sums(full);

        // The leader (A) folds the removed node C into its own vectors; B still holds a copy from before.
        var pruned = full.Prune(C, A);
        var staleOnB = replicas[1].Merge(replicas[2]);

        Assert.False(pruned.NeedPruningFrom(C));
        Assert.DoesNotContain(C, pruned.ModifiedByNodes);
        Assert.Equal(before, Sums(pruned));
        // What the replicator does with data that arrives after pruning: clean C out of it, then merge.
        Assert.Equal(before, Sums(pruned.Merge(staleOnB.PruningCleanup(C))));
        Assert.Equal(before, Sums(staleOnB.PruningCleanup(C).Merge(pruned)));
        // A keeps publishing after absorbing C: its later increments add on top.
        var later = pruned.Increment(A, [new("row-1", [7])]);
        Assert.Equal(before["row-1"][0] + 7, later.Sum("row-1", 13)![0]);
    }

    [Fact]
    public void Vectors_of_different_widths_merge_as_if_the_missing_counters_were_zero()
    {
        var narrow = UsageCounterMap.Empty.Increment(A, [new("r", [1, 2])]);
        var wide = UsageCounterMap.Empty.Increment(A, [new("r", [1, 2, 0, 0])]).Increment(B, [new("r", [0, 0, 9])]);

        var merged = narrow.Merge(wide);

        Assert.Equal([1, 2, 9, 0], merged.Sum("r", 4)!);
        Assert.Equal(narrow.Merge(wide), wide.Merge(narrow));
    }

    [Fact]
    public void Sums_saturate_at_the_ceiling_instead_of_wrapping()
    {
        var map = UsageCounterMap.Empty.Increment(A, [new("r", [long.MaxValue - 1])]).Increment(B, [new("r", [5])]).Increment(C, [new("r", [long.MaxValue])]);

        Assert.Equal(long.MaxValue, map.Sum("r", 1)![0]);
        Assert.Equal(long.MaxValue, map.Increment(A, [new("r", [10])]).Rows["r"][A][0]);
    }

    [Fact]
    public void A_negative_increment_is_refused_naming_the_row()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => UsageCounterMap.Empty.Increment(A, [new("gpt-4o", [1, -2])]));

        Assert.Contains("gpt-4o", e.Message);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void The_wire_format_round_trips(int seed)
    {
        var replicas = Replicas(seed);
        var map = replicas[0].Merge(replicas[1]).Merge(replicas[2]).Increment(A, [new("unicode é 模型 \U0001F600", [1, long.MaxValue])]);

        var back = UsageCounterMapSerializer.Read(UsageCounterMapSerializer.Write(map));

        Assert.Equal(map, back);
        Assert.Equal(map.ModifiedByNodes, back.ModifiedByNodes);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Equal_maps_give_equal_bytes_with_rows_and_nodes_in_an_order_every_process_shares(int seed)
    {
        var replicas = Replicas(seed);
        var map = replicas[0].Merge(replicas[1]).Merge(replicas[2]);
        // The same counts with trailing zero counters (a node of a release with more counters): an equal map.
        var wider = UsageCounterMap.Empty;
        foreach (var (key, row) in map.Rows)
        {
            foreach (var (node, vector) in row) wider = wider.Merge(UsageCounterMap.Empty.Increment(node, [new(key, [.. vector, 0, 0])]));
        }

        var bytes = UsageCounterMapSerializer.Write(map);

        Assert.Equal(map, wider);
        Assert.Equal(map.GetHashCode(), wider.GetHashCode());
        Assert.Equal(bytes, UsageCounterMapSerializer.Write(wider));
        // Rows in ordinal order of their keys, not in the dictionary's (hash-seeded, so per-process) order.
        var offsets = map.Rows.Keys.Order(StringComparer.Ordinal).Select(k => IndexOf(bytes, System.Text.Encoding.UTF8.GetBytes(k))).ToList();
        Assert.All(offsets, o => Assert.True(o > 0));
        Assert.Equal(offsets.Order(), offsets);
    }

    [Fact]
    public void Pruning_cleanup_removes_a_row_left_without_nodes()
    {
        var map = UsageCounterMap.Empty.Increment(A, [new("only-a", [1, 2])]).Increment(B, [new("shared", [3])]).Increment(A, [new("shared", [4])]);

        var cleaned = map.PruningCleanup(A);

        Assert.False(cleaned.Rows.ContainsKey("only-a"));
        Assert.Equal(UsageCounterMap.Empty.Increment(B, [new("shared", [3])]), cleaned);
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (var i = 0; i + needle.Length <= haystack.Length; i++)
        {
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        }
        return -1;
    }

    [Fact]
    public void Bytes_that_are_not_a_map_are_refused_with_a_serialization_error()
    {
        var good = UsageCounterMapSerializer.Write(UsageCounterMap.Empty.Increment(A, [new("r", [1, 2, 3])]));

        Assert.Throws<SerializationException>(() => UsageCounterMapSerializer.Read([]));
        Assert.Throws<SerializationException>(() => UsageCounterMapSerializer.Read([9]));
        Assert.Throws<SerializationException>(() => UsageCounterMapSerializer.Read(good[..^1]));
        Assert.Throws<SerializationException>(() => UsageCounterMapSerializer.Read([.. good, 0]));
    }

    private static Dictionary<string, long[]> Sums(UsageCounterMap map) =>
        map.Rows.Keys.ToDictionary(k => k, k => map.Sum(k, 13)!);
}
