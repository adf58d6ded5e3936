using System.Collections.Immutable;
using Analytics.Actors.Cluster.Crdt;
using Analytics.Actors.Cluster.Publishing;

namespace Analytics.Tests.Cluster;

/// <summary>
/// What a node publishes each round: only what changed since the last round, never the same delta twice (a timed-out
/// write is already applied locally), keys past the cap under <c>(other)</c> and counted, shards small enough for gossip.
/// </summary>
public sealed class PublishPlanSpecs
{
    private static readonly Akka.Cluster.UniqueAddress Self = UsageCounterMapSpecs.A;

    internal static UsageRow Row(long requests, long input, long cost) =>
        new(UsageCounters.ForCompleted(new TokenUsage(input, input / 10), cost, false, 100 + requests, null) + Repeat(requests - 1, input, cost));

    private static UsageCounters Repeat(long times, long input, long cost)
    {
        var c = default(UsageCounters);
        for (var i = 0; i < times; i++) c.AddCompleted(new TokenUsage(input, input / 10), cost, false, 100, null);
        return c;
    }

    internal static UsageStats Stats(Dictionary<string, UsageRow> models, Dictionary<string, UsageRow>? agents = null)
    {
        var totals = models.Values.Aggregate(UsageRow.Empty, (a, r) => a.Add(r));
        return new UsageStats
        {
            Totals = totals, ByModel = models.ToImmutableDictionary(), ByProvider = ImmutableDictionary.Create<string, UsageRow>().Add("openai", totals),
            ByAgent = (agents ?? []).ToImmutableDictionary(), Ingress = new IngressCounters(totals.Requests, 0, 0, totals.Requests, 0, 0),
            Lifecycle = new LifecycleCounters(0, 1, 0),
        };
    }

    private static long[] Delta(PublishPlan.Round round, UsageCounterMapKey key, string row) => round.Deltas[key][row];

    [Fact]
    public void A_round_publishes_only_what_changed_and_a_delta_is_never_planned_twice()
    {
        var layout = new ClusterLayout(100);
        var plan = new PublishPlan(layout, Self);
        var first = Stats(new() { ["gpt-4o"] = Row(3, 1_000, 500), ["o3"] = Row(1, 50, 9) });

        var round1 = plan.Next(first);
        // The same snapshot again (a write of round 1 timed out, say): nothing to add.
        var round2 = plan.Next(first);
        var round3 = plan.Next(Stats(new() { ["gpt-4o"] = Row(5, 1_000, 500), ["o3"] = Row(1, 50, 9) }));

        var gpt = layout.ShardKey(Dimension.Model, layout.ShardOf("gpt-4o"));
        Assert.Equal(3, Delta(round1, gpt, "gpt-4o")[(int)UsageCounter.Requests]);
        Assert.Equal(3_000, Delta(round1, gpt, "gpt-4o")[(int)UsageCounter.InputTokens]);
        Assert.Equal(4, Delta(round1, ClusterLayout.NodeKey, ClusterLayout.TotalsRow)[(int)UsageCounter.Requests]);
        Assert.True(round2.IsEmpty);
        Assert.Equal(2, Delta(round3, gpt, "gpt-4o")[(int)UsageCounter.Requests]);
        Assert.Equal(2_000, Delta(round3, gpt, "gpt-4o")[(int)UsageCounter.InputTokens]);
        Assert.DoesNotContain("o3", round3.Deltas.Values.SelectMany(rows => rows.Keys));
    }

    [Fact]
    public void An_update_the_replicator_refused_is_planned_again_and_only_that_one()
    {
        var layout = new ClusterLayout(100);
        var plan = new PublishPlan(layout, Self);
        var stats = Stats(new() { ["gpt-4o"] = Row(3, 1_000, 500) });
        var round = plan.Next(stats);
        var gpt = layout.ShardKey(Dimension.Model, layout.ShardOf("gpt-4o"));

        plan.Revert(round, gpt);
        var again = plan.Next(stats);

        Assert.Equal(Delta(round, gpt, "gpt-4o"), Delta(again, gpt, "gpt-4o"));
        Assert.False(again.Deltas.ContainsKey(ClusterLayout.NodeKey));
    }

    [Fact]
    public void Keys_past_the_cap_are_published_under_other_and_counted_and_no_count_is_lost()
    {
        var layout = new ClusterLayout(3);
        var plan = new PublishPlan(layout, Self);
        var agents = Enumerable.Range(0, 5).ToDictionary(i => $"agent-{i}", i => Row(i + 1, 100, 10));

        var round = plan.Next(Stats(new() { ["gpt-4o"] = Row(15, 100, 10) }, agents));
        // Later rounds keep each key where it went first.
        var later = plan.Next(Stats(new() { ["gpt-4o"] = Row(16, 100, 10) }, agents.ToDictionary(a => a.Key, a => a.Key == "agent-4" ? Row(6, 100, 10) : a.Value)));

        var rows = round.Deltas.Where(d => d.Key.Id.StartsWith("llm-usage/agent/", StringComparison.Ordinal)).SelectMany(d => d.Value).ToList();
        Assert.Equal(4, rows.Count);
        Assert.Contains(rows, r => r.Key == ClusterLayout.OverflowKey);
        Assert.Equal(2, plan.Overflowed(Dimension.Agent));
        Assert.Equal(15, rows.Sum(r => r.Value[(int)UsageCounter.Requests]));
        Assert.Equal(2, Delta(round, ClusterLayout.NodeKey, ClusterLayout.OverflowRow)[(int)Dimension.Agent]);
        var wentTo = rows.Any(r => r.Key == "agent-4") ? "agent-4" : ClusterLayout.OverflowKey;
        var laterRows = later.Deltas.Where(d => d.Key.Id.StartsWith("llm-usage/agent/", StringComparison.Ordinal)).SelectMany(d => d.Value).ToList();
        Assert.Equal(wentTo, Assert.Single(laterRows).Key);
        Assert.Equal(1, laterRows[0].Value[(int)UsageCounter.Requests]);
        Assert.Equal(2, plan.Overflowed(Dimension.Agent));
    }

    [Fact]
    public void A_key_other_nodes_already_published_is_joined_even_when_the_cap_is_reached()
    {
        var layout = new ClusterLayout(1);
        var plan = new PublishPlan(layout, Self);
        var shared = layout.ShardKey(Dimension.Agent, layout.ShardOf("shared"));
        plan.Observe(shared, UsageCounterMap.Empty.Increment(UsageCounterMapSpecs.B, [new("shared", [1])]));

        var round = plan.Next(Stats(new() { ["m"] = Row(2, 1, 1) }, new() { ["shared"] = Row(1, 1, 1), ["mine"] = Row(1, 1, 1) }));

        Assert.True(round.Deltas[shared].ContainsKey("shared"));
        Assert.Equal(1, plan.Overflowed(Dimension.Agent));
    }

    [Fact]
    public void A_full_shard_stays_small_enough_that_a_gossip_message_fits_the_frame_with_18_nodes_publishing_its_rows()
    {
        // One breakdown, one shard: admission stops at its row or byte limit.
        var layout = new ClusterLayout(16);
        var nodes = Enumerable.Range(1, 18).Select(UsageCounterMapSpecs.Node).ToArray();
        var plan = new PublishPlan(layout, nodes[0]);
        // Agent ids of 40 characters and large, realistic counters (a million requests, billions of tokens, durations).
        UsageRow Big(int i) => new(UsageCounters.ForCompleted(new TokenUsage(4_000_000_000L + i, 300_000_000, 2_000_000_000, 100_000_000, 50_000_000), 987_654_321_000, false,
            3_600_000_000, 900_000_000) + Repeat(1, 1, 1));
        var agents = Enumerable.Range(0, 200).ToDictionary(i => $"agent-{i:D4}-{new string('x', 29)}", Big);
        var round = plan.Next(Stats(new() { ["m"] = Row(1, 1, 1) }, agents));

        var shard = layout.ShardKey(Dimension.Agent, 0);
        var rows = round.Deltas[shard];
        var map = UsageCounterMap.Empty.Increment(nodes[0], rows);
        Assert.InRange(rows.Count, 1, ClusterLayout.RowsPerShard);
        Assert.InRange(UsageCounterMapSerializer.Write(map).Length, 1, ClusterLayout.ShardByteBudget);
        foreach (var node in nodes[1..]) map = map.Increment(node, rows);

        Assert.InRange(ClusterLayout.MaxGossipKeys * UsageCounterMapSerializer.Write(map).Length, 1, 128_000 - 4_000);
    }

    [Fact]
    public void The_shard_of_a_key_is_the_same_in_every_process()
    {
        var layout = new ClusterLayout(1_000);

        Assert.Equal(63, layout.Shards);
        // FNV-1a over the UTF-16 code units ("a" = 0x61 0x00), not string.GetHashCode, which is randomised per process.
        Assert.Equal((int)(723_832_900u % 63), layout.ShardOf("a"));
        Assert.Equal([.. Enumerable.Range(0, 63)], Enumerable.Range(0, 5_000).Select(i => layout.ShardOf($"agent-{i}")).Distinct().Order());
    }
}
