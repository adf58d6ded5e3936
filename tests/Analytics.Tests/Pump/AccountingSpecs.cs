using Analytics.Actors;
using Analytics.Contracts;
using Xunit.Abstractions;

namespace Analytics.Tests.Pump;

/// <summary>The invariants of ARCHITECTURE.md, with real producer threads racing a real pump.</summary>
public sealed class AccountingSpecs(ITestOutputHelper output) : PumpHarness(output)
{
    private static readonly string[] Models = ["alpha-1", "beta-1", "gamma-1", "unpriced-x"];

    [Theory]
    [InlineData(10_000, 4, 50_000)] // big ring: nothing should need dropping, but drops are allowed and counted
    [InlineData(32, 4, 20_000)]     // tiny ring: heavy dropping
    public async Task Totals_equal_the_sums_over_models_providers_and_what_producers_saw_accepted(int capacity, int producers, int perProducer)
    {
        var (recorder, pump) = StartPump(capacity);
        var acceptedRequests = new long[producers];
        var acceptedInput = new long[producers];
        var acceptedFailed = new long[producers];
        var threads = new Thread[producers];
        for (var p = 0; p < producers; p++)
        {
            var id = p;
            threads[p] = new Thread(() =>
            {
                var rng = new Random(id);
                for (var i = 0; i < perProducer; i++)
                {
                    var model = Models[rng.Next(Models.Length)];
                    bool ok;
                    if (i % 10 == 9)
                    {
                        ok = recorder.RecordFailed(model, attribution: new RequestAttribution { AgentId = $"agent-{id}" });
                        if (ok) acceptedFailed[id]++;
                    }
                    else
                    {
                        var input = rng.Next(1, 5_000);
                        ok = recorder.RecordCompleted(model, new TokenUsage(input, rng.Next(0, 500), CacheRead: input / 4), attribution: new RequestAttribution { AgentId = $"agent-{id}" });
                        if (ok) acceptedInput[id] += input;
                    }
                    if (ok) acceptedRequests[id]++;
                }
            });
            threads[p].Start();
        }
        foreach (var t in threads) t.Join();

        var stats = await StatsAsync(pump);

        long attempted = (long)producers * perProducer, requests = 0, input = 0, failed = 0;
        for (var p = 0; p < producers; p++)
        {
            requests += acceptedRequests[p];
            input += acceptedInput[p];
            failed += acceptedFailed[p];
            // A producer that only ever met a full ring has no row at all.
            Assert.Equal(acceptedRequests[p], stats.ByAgent.TryGetValue($"agent-{p}", out var row) ? row.Requests : 0);
        }

        Assert.Equal(attempted, stats.Ingress.Accepted + stats.Ingress.Dropped);
        Assert.Equal(stats.Ingress.Accepted, stats.Ingress.Folded + stats.Ingress.Pending);
        Assert.Equal(0, stats.Ingress.Pending);
        Assert.Equal(requests, stats.Totals.Requests);
        Assert.Equal(failed, stats.Totals.Failed);
        Assert.Equal(input, stats.Totals.InputTokens);
        Assert.Equal(stats.Totals, Sum(stats.ByModel.Values));
        Assert.Equal(stats.Totals, Sum(stats.ByProvider.Values));
        Assert.Equal(stats.Totals, Sum(stats.ByAgent.Values));
    }

    [Fact]
    public async Task Read_your_writes_each_thread_sees_all_its_own_records_in_the_stats_it_asks_for_next()
    {
        const int producers = 4, rounds = 40, perRound = 25;
        // One event per background drain: the pump's own wake-ups lag far behind, so only the Ask's drain
        // can make the numbers right.
        var (recorder, pump) = StartPump(shards: 4, options: new AnalyticsOptions { DrainBatchSize = 1 });
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var tasks = new Task[producers];
        for (var p = 0; p < producers; p++)
        {
            var agent = $"agent-{p}";
            tasks[p] = Task.Factory.StartNew(async () =>
            {
                for (var round = 1; round <= rounds; round++)
                {
                    for (var i = 0; i < perRound; i++)
                    {
                        if (!recorder.RecordCompleted("alpha-1", 1, 1, attribution: new RequestAttribution { AgentId = agent })) failures.Enqueue($"{agent}: dropped");
                    }
                    // Every record above returned before this Ask was sent, so the stats must include all of them.
                    var stats = await StatsAsync(pump);
                    var seen = stats.ByAgent.TryGetValue(agent, out var row) ? row.Requests : 0;
                    if (seen != round * perRound) failures.Enqueue($"{agent} round {round}: saw {seen}, expected {round * perRound}");
                }
            }, TaskCreationOptions.LongRunning).Unwrap();
        }
        await Task.WhenAll(tasks);

        Assert.Empty(failures);
        var final = await StatsAsync(pump);
        Assert.Equal(producers * rounds * perRound, final.Totals.Requests);
    }

    [Fact]
    public async Task Asks_racing_with_producers_always_see_consistent_sums()
    {
        var (recorder, pump) = StartPump(capacity: 1_000);
        using var stop = new CancellationTokenSource();
        var producer = new Thread(() =>
        {
            var i = 0;
            while (!stop.IsCancellationRequested) recorder.RecordCompleted(Models[i++ % Models.Length], 3, 2, attribution: new RequestAttribution { AgentId = "a" });
        });
        producer.Start();
        try
        {
            for (var i = 0; i < 50; i++)
            {
                var stats = await StatsAsync(pump);
                Assert.Equal(stats.Totals, Sum(stats.ByModel.Values));
                Assert.Equal(stats.Totals, Sum(stats.ByProvider.Values));
                Assert.Equal(stats.Totals.Requests, stats.ByAgent.TryGetValue("a", out var row) ? row.Requests : 0);
            }
        }
        finally
        {
            stop.Cancel();
            producer.Join();
        }
    }
}
