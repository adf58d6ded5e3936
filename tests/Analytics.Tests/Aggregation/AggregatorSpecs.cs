using Akka.Actor;
using Akka.Hosting;
using Analytics.Actors.Aggregation;
using Analytics.Tests.Pump;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;

namespace Analytics.Tests.Aggregation;

/// <summary>
/// The aggregator actors behind the pump: they own the rows, their sums add up to the pump's totals in every snapshot,
/// an Ask is answered however busy the pump is, and they run where producers cannot starve them.
/// </summary>
public sealed class AggregatorSpecs(ITestOutputHelper output) : PumpHarness(output)
{
    private static readonly string[] Models = ["alpha-1", "beta-1", "gamma-1", "unpriced-x"];

    [Fact]
    public async Task The_rows_of_the_stats_are_the_rows_each_aggregator_holds()
    {
        var (recorder, pump) = StartPump(options: new AnalyticsOptions { DrainBatchSize = 5 });
        for (var i = 0; i < 60; i++)
            Assert.True(recorder.RecordCompleted(Models[i % 4], 100 + i, 10, new RequestAttribution { AgentId = $"agent-{i % 7}" }));

        var stats = await StatsAsync(pump);

        // Asked directly (a report request of their own), each aggregator answers with exactly the rows the stats showed.
        foreach (var (dimension, rows) in new[] { (StatsDimension.Model, stats.ByModel), (StatsDimension.Provider, stats.ByProvider), (StatsDimension.Agent, stats.ByAgent) })
        {
            var aggregator = await Sys.ActorSelection(pump.Path / AggregatorActor.Name(dimension)).ResolveOne(AskTimeout);
            var report = await aggregator.Ask<AggregatorActor.Folded>(new AggregatorActor.Fold(long.MaxValue, null, Report: true), AskTimeout);
            Assert.Equal(dimension, report.Dimension);
            Assert.Equal(rows.OrderBy(r => r.Key, StringComparer.Ordinal), report.View.OrderBy(r => r.Key, StringComparer.Ordinal));
        }
        Assert.Equal(7, stats.ByAgent.Count);
        Assert.Equal(60, stats.Totals.Requests);
        Assert.Equal(stats.Totals, Sum(stats.ByModel.Values));
    }

    [Fact]
    public async Task A_batch_reaches_each_aggregator_it_touched_as_one_message_with_one_delta_per_key()
    {
        var probes = new[] { CreateTestProbe(), CreateTestProbe(), CreateTestProbe() };
        var links = new AggregatorLinks(probes.Select(p => p.Ref).ToArray(), [new AggregatorProgress(), new AggregatorProgress(), new AggregatorProgress()]);
        var fold = new UsageFold();
        var counters = UsageCounters.ForCompleted(new TokenUsage(10, 1), 5, false, null, null);
        for (var i = 0; i < 1_000; i++)
            fold.Add(fold.Key(StatsDimension.Model, Models[i % 4]), fold.Key(StatsDimension.Provider, "openai"), i % 2 == 0 ? null : fold.Key(StatsDimension.Agent, $"agent-{i % 3}"),
                new FoldedRequest(in counters, null, null));

        links.Send(fold.TakeBatch()!, report: false, TestActor);

        var model = await probes[0].ExpectMsgAsync<AggregatorActor.Fold>();
        var provider = await probes[1].ExpectMsgAsync<AggregatorActor.Fold>();
        var agent = await probes[2].ExpectMsgAsync<AggregatorActor.Fold>();
        Assert.Same(model.Batch, agent.Batch);
        Assert.Equal(Models.Order(), model.Batch!.Deltas(StatsDimension.Model).ToArray().Select(d => d.Key).Order());
        Assert.All(model.Batch.Deltas(StatsDimension.Model).ToArray(), d => Assert.Equal(250, d.Counters[UsageCounter.Requests]));
        Assert.Equal(1_000, Assert.Single(provider.Batch!.Deltas(StatsDimension.Provider).ToArray()).Counters[UsageCounter.Requests]);
        Assert.Equal(500, agent.Batch!.Deltas(StatsDimension.Agent).ToArray().Sum(d => d.Counters[UsageCounter.Requests]));
        Assert.Equal(1_000, fold.Totals[UsageCounter.Requests]);
        foreach (var probe in probes) await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
        Assert.Null(fold.TakeBatch());
    }

    [Fact]
    public void The_pump_holds_batches_for_an_aggregator_too_far_behind_and_asks_it_for_a_report()
    {
        var probes = new[] { CreateTestProbe(), CreateTestProbe(), CreateTestProbe() };
        var progress = new[] { new AggregatorProgress(), new AggregatorProgress(), new AggregatorProgress() };
        var links = new AggregatorLinks(probes.Select(p => p.Ref).ToArray(), progress);
        var fold = new UsageFold();
        var counters = UsageCounters.ForFailed(null);

        for (var i = 1; i <= AggregatorLinks.MaxInFlight; i++)
        {
            Assert.False(links.Throttled, $"throttled before fold {i}");
            fold.Add(fold.Key(StatsDimension.Model, "m"), fold.Key(StatsDimension.Provider, "p"), null, new FoldedRequest(in counters, null, null));
            links.Send(fold.TakeBatch()!, report: false, TestActor);
            var sent = probes[0].ExpectMsg<AggregatorActor.Fold>();
            Assert.Equal((i, false), (sent.Sequence, sent.Report));
            probes[1].ExpectMsg<AggregatorActor.Fold>();
        }

        // Nothing folded yet: both aggregators are 16 folds behind.
        Assert.True(links.Throttled);
        progress[0].Advance(AggregatorLinks.MaxInFlight);
        Assert.True(links.Throttled);
        progress[1].Advance(1);
        Assert.False(links.Throttled);
        // A report request goes to those whose last report is behind (both), none to the agent aggregator, sent nothing.
        var needed = links.RequestReports(TestActor);
        Assert.Equal([AggregatorLinks.MaxInFlight + 1, AggregatorLinks.MaxInFlight + 1, 0L], needed);
        Assert.True(probes[0].ExpectMsg<AggregatorActor.Fold>().Report);
        Assert.True(probes[1].ExpectMsg<AggregatorActor.Fold>().Report);
        probes[2].ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        // Asked already: asking again sends nothing more.
        links.RequestReports(TestActor);
        probes[0].ExpectNoMsg(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task Asks_sent_back_to_back_while_producers_record_are_all_answered_in_order_and_each_adds_up()
    {
        var (recorder, pump) = StartPump(capacity: 2_000, options: new AnalyticsOptions { DrainBatchSize = 64 });
        using var stop = new CancellationTokenSource();
        var recorded = new long[2];
        var producers = Enumerable.Range(0, 2).Select(p => new Thread(() =>
        {
            var i = 0;
            while (!stop.IsCancellationRequested)
            {
                if (recorder.RecordCompleted(Models[i % 4], 7, 3, new RequestAttribution { AgentId = $"agent-{p}-{i % 50}" })) Volatile.Write(ref recorded[p], recorded[p] + 1);
                i++;
            }
        })).ToArray();
        foreach (var t in producers) t.Start();
        try
        {
            for (var round = 0; round < 10; round++)
            {
                var before = Volatile.Read(ref recorded[0]) + Volatile.Read(ref recorded[1]);
                // Twenty Asks in the pump's mailbox at once: each one drains, so later ones find earlier ones waiting.
                var asks = Enumerable.Range(0, 20).Select(_ => StatsAsync(pump)).ToArray();
                var answers = await Task.WhenAll(asks);

                Assert.True(answers[0].Totals.Requests >= before, $"round {round}: {answers[0].Totals.Requests} < {before} recorded before the Asks");
                for (var i = 0; i < answers.Length; i++)
                {
                    var stats = answers[i];
                    Assert.Equal(stats.Totals, Sum(stats.ByModel.Values));
                    Assert.Equal(stats.Totals, Sum(stats.ByProvider.Values));
                    Assert.Equal(stats.Totals, Sum(stats.ByAgent.Values));
                    Assert.Equal(stats.Totals.Requests, stats.Ingress.Folded);
                    if (i > 0) Assert.True(stats.Totals.Requests >= answers[i - 1].Totals.Requests, $"round {round}: answer {i} went back in time");
                }
            }
        }
        finally
        {
            stop.Cancel();
            foreach (var t in producers) t.Join();
        }
    }

    [Fact]
    public async Task An_aggregator_that_fails_restarts_the_pump_with_it_so_totals_never_part_from_the_rows()
    {
        var (recorder, pump) = StartPump();
        for (var i = 0; i < 10; i++) recorder.RecordCompleted("alpha-1", 10, 1, new RequestAttribution { AgentId = "a" });
        Assert.Equal(10, (await StatsAsync(pump)).Totals.Requests);
        var aggregator = await Sys.ActorSelection(pump.Path / AggregatorActor.Name(StatsDimension.Agent)).ResolveOne(AskTimeout);
        Watch(aggregator);

        // A batch naming a row id no key has: a bug's stand-in, and the aggregator throws on it.
        var pool = FoldBatch.NewPool(retain: 1);
        var broken = pool.Rent();
        broken.Add(StatsDimension.Agent, new BatchKey("broken", id: -1));
        broken.HandOver(1);
        aggregator.Tell(new AggregatorActor.Fold(1, broken, Report: false));
        await ExpectTerminatedAsync(aggregator);

        recorder.RecordCompleted("beta-1", 10, 1, new RequestAttribution { AgentId = "b" });
        var stats = await AwaitStatsAsync(pump);
        // The restarted pump starts over, rows and totals alike, and its new aggregators answer.
        Assert.Equal(1, stats.Totals.Requests);
        Assert.Equal(1, stats.ByModel["beta-1"].Requests);
        Assert.Equal(stats.Totals, Sum(stats.ByModel.Values));
        Assert.Equal(stats.Totals, Sum(stats.ByAgent.Values));
        Assert.False(stats.ByAgent.ContainsKey("a"));
    }

    [Fact]
    public async Task With_a_dedicated_pump_the_aggregators_run_on_their_own_dispatcher_and_on_the_pool_otherwise()
    {
        var (_, dedicated) = StartPump(options: new AnalyticsOptions { PumpThread = PumpThreadMode.Dedicated });
        var (_, pooled) = StartPump(options: new AnalyticsOptions { PumpThread = PumpThreadMode.ThreadPool });

        Assert.Equal(AggregatorDispatcher.Id, await DispatcherOf(dedicated));
        Assert.Equal("akka.actor.default-dispatcher", await DispatcherOf(pooled));
        // The test kit's system has no HOCON for it: the pump registered the defaults itself.
        Assert.True(Sys.Dispatchers.HasDispatcher(AggregatorDispatcher.Id));
        Assert.False(Sys.Settings.Config.HasPath(AggregatorDispatcher.Id));
    }

    [Fact]
    public async Task A_host_s_own_HOCON_sizes_the_aggregators_thread_pool()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddUsageAnalytics(builder.Configuration);
        builder.Services.AddAkka("aggregator-dispatcher", akka => akka
            .WithUsageAnalytics()
            .AddHocon($"{AggregatorDispatcher.Id}.dedicated-thread-pool.thread-count = 1", HoconAddMode.Prepend));
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var config = host.Services.GetRequiredService<ActorSystem>().Settings.Config;
            Assert.Equal(1, config.GetInt($"{AggregatorDispatcher.Id}.dedicated-thread-pool.thread-count"));
            Assert.Equal("ForkJoinDispatcher", config.GetString($"{AggregatorDispatcher.Id}.type"));
            var recorder = host.Services.GetRequiredService<UsageRecorder>();
            recorder.RecordCompleted("gpt-4o", 10, 1);
            Assert.Equal(1, (await host.Services.GetRequiredService<IUsageStats>().GetAsync()).ByModel["gpt-4o"].Requests);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private async Task<string> DispatcherOf(IActorRef pump)
    {
        // Answered once the pump started, and with it its aggregators.
        await StatsAsync(pump);
        var aggregator = await Sys.ActorSelection(pump.Path / AggregatorActor.Name(StatsDimension.Model)).ResolveOne(AskTimeout);
        return ((ActorRefWithCell)aggregator).Underlying.Props.Dispatcher;
    }

    /// <summary>Stats from a pump that is restarting: an Ask that reaches the old instance's mailbox is lost, so ask again.</summary>
    private async Task<UsageStats> AwaitStatsAsync(IActorRef pump)
    {
        UsageStats? stats = null;
        await AwaitAssertAsync(async () => stats = await pump.Ask<UsageStats>(UsageQueries.GetStats.Instance, TimeSpan.FromSeconds(2)), TimeSpan.FromSeconds(15));
        return stats!;
    }
}
