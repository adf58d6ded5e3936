using Akka.Actor;
using Analytics.Actors.Metrics;
using Analytics.Actors.Pump;
using Xunit.Abstractions;

namespace Analytics.Tests.Metrics;

/// <summary>
/// The meter's feed: the pump writes one small sample per request into a per-batch buffer and hands the buffer to the
/// meter once per batch; no event object, no id.
/// </summary>
public sealed class MeterFeedSpecs(ITestOutputHelper output) : MeterHarness(output)
{
    /// <summary>A pump that drains only when asked: each Ask is one drained batch.</summary>
    private (UsageRecorder Recorder, IActorRef Pump) StartQuietPump() => StartPump(options: new AnalyticsOptions
    {
        WakeFillPercent = 100, PollInterval = TimeSpan.FromMinutes(1), DrainInterval = TimeSpan.FromMinutes(1),
    });

    [Fact]
    public async Task A_drained_batch_reaches_the_meter_as_one_buffer_with_a_sample_per_request()
    {
        var (recorder, pump) = StartQuietPump();
        var feed = new MeterFeed(capacity: 100);
        recorder.MeterFeeds.Add(feed);
        recorder.RecordCompleted("alpha-1", new TokenUsage(1_000, 500, CacheRead: 100, CacheCreation: 50, Reasoning: 20),
            new RequestAttribution { AgentId = "agent-a" }, new RequestTiming { DurationMs = 840, TimeToFirstTokenMs = 210 });
        recorder.RecordCompleted("acme-unpriced", new TokenUsage(10, 1));
        recorder.RecordRouterStarted(8080); // not a request: no sample
        recorder.RecordFailed("beta-1", failure: new RequestFailure { ErrorCode = "overloaded" }, timing: new RequestTiming { DurationMs = 1_500 });

        var stats = await StatsAsync(pump);

        Assert.True(feed.Reader.TryRead(out var item));
        Assert.False(feed.Reader.TryRead(out _), "one batch, one hand-over");
        Assert.Equal(3, item.Count);
        var samples = item.Batch.Samples.ToArray();
        var a = samples[0];
        Assert.Equal(("alpha-1", "openai", "agent-a", false, false), (a.Model, a.Provider, a.Agent, a.Failed, a.Unpriced));
        Assert.Equal((1_000L, 500L, 100L, 50L, 20L), (a.InputTokens, a.OutputTokens, a.CacheReadTokens, a.CacheWriteTokens, a.ReasoningTokens));
        Assert.Equal(stats.ByModel["alpha-1"].CostMicros, a.CostMicros);
        Assert.Equal((840L, 210L), (a.DurationMs, a.TimeToFirstTokenMs));
        var unpriced = samples[1];
        Assert.Equal((true, 0L, -1L, -1L), (unpriced.Unpriced, unpriced.CostMicros, unpriced.DurationMs, unpriced.TimeToFirstTokenMs));
        var failed = samples[2];
        Assert.Equal(("beta-1", "anthropic", true, "overloaded", 1_500L), (failed.Model, failed.Provider, failed.Failed, failed.ErrorCode, failed.DurationMs));
        // The meter alone needs no event tap, so the pump made no event objects for it.
        Assert.Empty(recorder.Taps.Current);
    }

    [Fact]
    public async Task A_drain_larger_than_a_buffer_arrives_in_order_in_several_buffers()
    {
        var (recorder, pump) = StartQuietPump();
        var feed = new MeterFeed(capacity: 10_000);
        recorder.MeterFeeds.Add(feed);
        var requests = MeterBatch.Capacity * 2 + 100;
        for (var i = 1; i <= requests; i++) Assert.True(recorder.RecordCompleted("alpha-1", i, 1));

        await StatsAsync(pump);

        var inputs = new List<long>();
        var counts = new List<int>();
        while (feed.Reader.TryRead(out var item))
        {
            counts.Add(item.Count);
            foreach (var sample in item.Batch.Samples[..item.Count]) inputs.Add(sample.InputTokens);
            feed.Taken(item);
            item.Batch.Release();
        }
        Assert.Equal([MeterBatch.Capacity, MeterBatch.Capacity, 100], counts);
        Assert.Equal(Enumerable.Range(1, requests).Select(i => (long)i), inputs);
        Assert.Equal(0, feed.Dropped);
    }

    [Fact]
    public void A_full_feed_takes_what_fits_and_counts_the_rest_and_a_completed_one_takes_nothing()
    {
        var pool = MeterBatch.NewPool(retain: 4);
        var feed = new MeterFeed(capacity: 4);

        feed.Offer(Batch(pool, 10));
        Assert.True(feed.Reader.TryRead(out var first));
        Assert.Equal(4, first.Count);
        Assert.Equal(6, feed.Dropped);
        // Nothing was taken out yet: the feed is full.
        feed.Offer(Batch(pool, 1));
        Assert.Equal(7, feed.Dropped);
        feed.Taken(first);
        first.Batch.Release();
        feed.Offer(Batch(pool, 3));
        Assert.True(feed.Reader.TryRead(out var second));
        Assert.Equal(3, second.Count);
        Assert.Equal(7, feed.Dropped);

        feed.Complete();
        var late = Batch(pool, 2);
        feed.Offer(late);
        Assert.Equal(9, feed.Dropped);
        // Refused outright, it was released at once: the pool hands the same buffer out again.
        Assert.Same(late, pool.Rent());
    }

    [Fact]
    public async Task Two_meters_on_one_recorder_each_measure_every_request()
    {
        var (recorder, pump) = StartQuietPump();
        var factory = Factory;
        var one = MetricsPipeline.Start(recorder, factory, new MetricsOptions());
        var two = MetricsPipeline.Start(recorder, factory, new MetricsOptions());
        var requests = MeterBatch.Capacity + 88;
        for (var i = 0; i < requests; i++) recorder.RecordCompleted("alpha-1", 10, 1);

        var stats = await StatsAsync(pump);
        await Task.WhenAll(one.StopAsync(), two.StopAsync());

        Assert.Equal(requests, stats.Totals.Requests);
        Assert.Equal((requests, requests), (one.Measured, two.Measured));
        Assert.Empty(recorder.MeterFeeds.Current);
    }

    private static MeterBatch Batch(BatchPool<MeterBatch> pool, int samples)
    {
        var batch = pool.Rent();
        for (var i = 0; i < samples; i++)
        {
            ref var s = ref batch.Add();
            s.Model = "m";
            s.Provider = "p";
            s.InputTokens = i;
        }
        batch.HandOver(1);
        return batch;
    }
}
