using System.Collections.Immutable;
using Xunit.Abstractions;

namespace Analytics.Tests.Cluster;

/// <summary>
/// Three actor systems joined over 127.0.0.1, each recording a third of one usage log: the merged view equals the whole
/// log in every integer field, with every read consistency, and still does after two nodes left; a node killed mid-run
/// never makes a merged counter exceed the whole log's.
/// </summary>
public sealed class ThreeNodeClusterSpecs(ITestOutputHelper output)
{
    private const int Events = 3_000;

    /// <summary>One line of the log: every counter of a row gets a value, failures and missing timings included.</summary>
    private static void Record(UsageRecorder recorder, int i)
    {
        string[] models = ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "gemini-2.5-pro", "mistral-large-latest", "unpriced-local-model"];
        var model = models[i % models.Length];
        var attribution = new RequestAttribution { AgentId = i % 7 == 0 ? null : $"agent-{i % 23}", ProviderId = $"ip_{i % 3}" };
        var timing = i % 5 == 0 ? default : new RequestTiming { DurationMs = 100 + i % 900, TimeToFirstTokenMs = i % 3 == 0 ? null : 10 + i % 90 };
        var accepted = i % 11 == 0
            ? recorder.RecordFailed(model, attribution, new RequestFailure { ErrorCode = "overloaded" }, timing)
            : recorder.RecordCompleted(model, new TokenUsage(Input: 1_000 + i, Output: 200 + i % 300, CacheRead: i % 4 == 0 ? 500 : 0, CacheCreation: i % 9 == 0 ? 100 : 0,
                Reasoning: i % 6 == 0 ? 50 : 0), attribution, timing, costMicros: i % 13 == 0 ? 7_777 : null);
        Assert.True(accepted, $"event {i} was not accepted: {recorder.LastRejection}");
    }

    private static async Task<UsageStats> ReferenceAsync()
    {
        await using var whole = await ClusterNode.StartAsync(null, new() { ["Analytics:Cluster:Enabled"] = "false" });
        for (var i = 0; i < Events; i++) Record(whole.Recorder, i);
        return await whole.Stats.GetAsync();
    }

    [Fact]
    public async Task Each_node_records_a_third_and_the_merged_totals_equal_the_whole_log_with_every_consistency_and_after_two_nodes_left()
    {
        var reference = await ReferenceAsync();
        var a = await ClusterNode.StartAsync(null);
        await using var aLife = a;
        var b = await ClusterNode.JoinAsync(a);
        var c = await ClusterNode.JoinAsync(a);
        ClusterNode[] nodes = [a, b, c];
        await ClusterNode.AllUpAsync(nodes, 3);

        // Each node records its third on threads of its own.
        await Task.WhenAll(nodes.Select((n, k) => Task.Run(() =>
        {
            for (var i = k; i < Events; i += 3) Record(n.Recorder, i);
        })));

        foreach (var consistency in new[] { ClusterReadConsistency.All, ClusterReadConsistency.Majority, ClusterReadConsistency.Local })
        {
            var view = await UntilEqualAsync(b, consistency, reference);
            Assert.Equal(consistency, view.Consistency);
            Assert.Equal(3, view.ByNode.Count);
        }
        var perNode = await Task.WhenAll(nodes.Select(n => n.Stats.GetAsync()));

        // B and C leave: each one's final publish is written to every node before it goes.
        await b.DisposeAsync();
        await c.DisposeAsync();
        Assert.Equal(ClusterFinalPublish.AcknowledgedByAll, b.Cluster.Status!.Final);
        Assert.Equal(ClusterFinalPublish.AcknowledgedByAll, c.Cluster.Status!.Final);

        // Once a knows they are gone, "all" means a alone: their counts are there because they wrote them to a before leaving.
        await ClusterNode.AllUpAsync([a], 1);
        var after = await a.Cluster.GetAsync(ClusterReadConsistency.All);
        AssertSameUsage(reference, after.Stats);
        Assert.Equal(Events, after.Stats.Ingress.Accepted);
        Assert.Equal(Events, after.Stats.Ingress.Folded);
        for (var k = 0; k < 3; k++) Assert.Equal(perNode[k].Totals.Counters, after.ByNode[nodes[k].Name].Counters);
        output.WriteLine($"merged: {after.Stats.Totals.Requests} requests, {after.Stats.Totals.CostMicros} micros, {after.Stats.ByAgent.Count} agents; " +
                         $"publish rounds a/b/c: {a.Cluster.Status!.Rounds}/{b.Cluster.Status.Rounds}/{c.Cluster.Status.Rounds}");
    }

    [Fact]
    public async Task A_node_killed_mid_run_never_makes_a_merged_counter_exceed_the_whole_log_and_survivors_count_exactly_once()
    {
        var reference = await ReferenceAsync();
        var a = await ClusterNode.StartAsync(null);
        await using var aLife = a;
        var b = await ClusterNode.JoinAsync(a);
        await using var bLife = b;
        var victim = await ClusterNode.JoinAsync(a);
        await using var victimLife = victim;
        await ClusterNode.AllUpAsync([a, b, victim], 3);

        // The victim records half of its third and publishes it; then it records the rest and crashes at once.
        var victimEvents = Enumerable.Range(0, Events).Where(i => i % 3 == 2).ToArray();
        foreach (var i in victimEvents[..(victimEvents.Length / 2)]) Record(victim.Recorder, i);
        var halfway = await victim.Stats.GetAsync();
        await UntilAsync(a, ClusterReadConsistency.Local, v => (v.ByNode.GetValueOrDefault(victim.Name)?.Requests ?? 0) >= halfway.Totals.Requests);
        foreach (var i in victimEvents[(victimEvents.Length / 2)..]) Record(victim.Recorder, i);
        victim.Crash();

        // The survivors record their thirds in ten chunks; after each, the view read on a stays at or below the whole log.
        var reads = 0;
        for (var chunk = 0; chunk < 10; chunk++)
        {
            var from = chunk * Events / 10;
            var to = (chunk + 1) * Events / 10;
            await Task.WhenAll(new[] { a, b }.Select((n, k) => Task.Run(() =>
            {
                for (var i = from; i < to; i++)
                {
                    if (i % 3 == k) Record(n.Recorder, i);
                }
            })));
            AssertAtMost(reference, (await a.Cluster.GetAsync(ClusterReadConsistency.Majority)).Stats);
            reads++;
        }
        var aStats = await a.Stats.GetAsync();
        var bStats = await b.Stats.GetAsync();
        var settled = await UntilAsync(a, ClusterReadConsistency.Majority,
            v => v.ByNode.GetValueOrDefault(a.Name)?.Counters == aStats.Totals.Counters && v.ByNode.GetValueOrDefault(b.Name)?.Counters == bStats.Totals.Counters);

        AssertAtMost(reference, settled.Stats);
        var victimPart = settled.ByNode[victim.Name];
        Assert.InRange(victimPart.Requests, halfway.Totals.Requests, victimEvents.Length);
        Assert.Equal(aStats.Totals.Requests + bStats.Totals.Requests + victimPart.Requests, settled.Stats.Totals.Requests);

        // B leaves while the dead node is still a member: writing to all nodes times out, a majority (a and b) confirms,
        // and the timed-out update is not applied a second time.
        await b.DisposeAsync();
        var status = b.Cluster.Status!;
        Assert.Equal(ClusterFinalPublish.AcknowledgedByMajority, status.Final);
        Assert.True(status.WriteTimeouts > 0, $"no write timed out: {status}");
        var afterB = await a.Cluster.GetAsync(ClusterReadConsistency.Local);
        Assert.Equal(bStats.Totals.Counters, afterB.ByNode[b.Name].Counters);
        AssertAtMost(reference, afterB.Stats);
        output.WriteLine($"{reads} reads during the run; the victim published {victimPart.Requests} of its {victimEvents.Length} requests; b: {status}");
    }

    private static async Task<ClusterUsage> UntilEqualAsync(ClusterNode reader, ClusterReadConsistency consistency, UsageStats reference)
    {
        var view = await UntilAsync(reader, consistency, v => v.Stats.Totals.Counters == reference.Totals.Counters);
        AssertSameUsage(reference, view.Stats);
        return view;
    }

    /// <summary>Reads until <paramref name="done"/> holds (publish interval plus gossip), at most 30 s.</summary>
    private static async Task<ClusterUsage> UntilAsync(ClusterNode reader, ClusterReadConsistency consistency, Func<ClusterUsage, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var view = await reader.Cluster.GetAsync(consistency);
            if (done(view)) return view;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the {consistency} view did not settle: totals {view.Stats.Totals.Counters}");
            await Task.Delay(50);
        }
    }

    /// <summary>Equal in every integer field: totals, and every row of every breakdown.</summary>
    internal static void AssertSameUsage(UsageStats expected, UsageStats actual)
    {
        Assert.Equal(expected.Totals.Counters, actual.Totals.Counters);
        AssertSameRows(expected.ByModel, actual.ByModel);
        AssertSameRows(expected.ByProvider, actual.ByProvider);
        AssertSameRows(expected.ByAgent, actual.ByAgent);
    }

    private static void AssertSameRows(ImmutableDictionary<string, UsageRow> expected, ImmutableDictionary<string, UsageRow> actual)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, row) in expected) Assert.True(row.Counters == actual[key].Counters, $"{key}: expected {row.Counters}, got {actual[key].Counters}");
    }

    /// <summary>No counter of any row, nor of the totals, above the reference's.</summary>
    private static void AssertAtMost(UsageStats reference, UsageStats view)
    {
        AtMost("totals", reference.Totals, view.Totals);
        foreach (var (name, rows, refRows) in new[] { ("model", view.ByModel, reference.ByModel), ("provider", view.ByProvider, reference.ByProvider), ("agent", view.ByAgent, reference.ByAgent) })
        {
            foreach (var (key, row) in rows)
            {
                Assert.True(refRows.ContainsKey(key), $"{name} '{key}' is not in the log");
                AtMost($"{name} '{key}'", refRows[key], row);
            }
        }
    }

    private static void AtMost(string what, UsageRow reference, UsageRow row)
    {
        foreach (var counter in UsageCounters.All)
            Assert.True(row[counter] <= reference[counter], $"{what} {UsageCounters.Name(counter)}: {row[counter]} > {reference[counter]} in the whole log");
    }
}
