using System.Diagnostics.Metrics;
using Analytics.Actors.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Xunit.Abstractions;

namespace Analytics.Tests.Metrics;

/// <summary>The meter behind a real pump: what it measures adds up to the stats, and a slow meter loses only measurements, counted.</summary>
public sealed class MetricsPipelineSpecs(ITestOutputHelper output) : MeterHarness(output)
{
    [Fact]
    public async Task The_summed_token_histograms_and_counters_equal_the_stats_totals()
    {
        var (recorder, pump) = StartPump(catalog: TestPrices.Catalog);
        var pipeline = MetricsPipeline.Start(recorder, Factory, new MetricsOptions());
        using var tokens = new MetricCollector<long>(pipeline.Meter.Meter, UsageInstruments.TokenUsage);
        using var requests = new MetricCollector<long>(pipeline.Meter.Meter, UsageInstruments.Requests);
        using var extra = new MetricCollector<long>(pipeline.Meter.Meter, UsageInstruments.Tokens);
        using var cost = new MetricCollector<double>(pipeline.Meter.Meter, UsageInstruments.Cost);
        using var duration = new MetricCollector<double>(pipeline.Meter.Meter, UsageInstruments.OperationDuration);

        var random = new Random(11);
        string[] models = ["alpha-1", "beta-1", "gamma-1", "acme-unpriced"];
        for (var i = 0; i < 500; i++)
        {
            var model = models[random.Next(models.Length)];
            var ok = i % 7 == 0
                ? recorder.RecordFailed(model, failure: new RequestFailure { ErrorCode = "rate_limit" }, timing: new RequestTiming { DurationMs = random.Next(5_000) })
                : recorder.RecordCompleted(model, new TokenUsage(10_000 + random.Next(90_000), 100 + random.Next(4_000), CacheRead: random.Next(5_000), Reasoning: random.Next(100)),
                    new RequestAttribution { AgentId = $"agent-{i % 3}" }, new RequestTiming { DurationMs = random.Next(30_000) });
            Assert.True(ok);
        }
        recorder.RecordRouterStarted(8080); // not an LLM event: not measured

        var stats = await StatsAsync(pump);
        await pipeline.StopAsync();

        Assert.Equal(500, pipeline.Measured);
        var t = stats.Totals;
        Assert.Equal(t.InputTokens, Sum(tokens, "gen_ai.token.type", "input"));
        Assert.Equal(t.OutputTokens, Sum(tokens, "gen_ai.token.type", "output"));
        Assert.Equal(t.CacheReadInputTokens, Sum(extra, "gen_ai.token.type", "cache_read"));
        Assert.Equal(t.ReasoningTokens, Sum(extra, "gen_ai.token.type", "reasoning"));
        Assert.Equal(t.Requests, requests.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.Equal(t.Failed, Sum(requests, "analytics.request.outcome", "failed"));
        Assert.Equal(t.DurationSamples, duration.GetMeasurementSnapshot().Count);
        Assert.Equal(t.CostMicros / 1_000_000d, cost.GetMeasurementSnapshot().Sum(m => m.Value), 6);
        foreach (var (model, row) in stats.ByModel)
            Assert.Equal(row.InputTokens, tokens.GetMeasurementSnapshot().ContainsTags(new KeyValuePair<string, object?>("gen_ai.request.model", model), new KeyValuePair<string, object?>("gen_ai.token.type", "input")).Sum(m => m.Value));
    }

    [Fact]
    public async Task A_meter_that_falls_behind_loses_measurements_counted_and_never_stats()
    {
        var (recorder, pump) = StartPump();
        var pipeline = MetricsPipeline.Start(recorder, Factory, new MetricsOptions { QueueCapacity = 4 });
        using var gate = new ManualResetEventSlim();
        using var inside = new ManualResetEventSlim();
        // A listener whose callback blocks stalls the meter's reader on its first measurement: a real slow exporter.
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == pipeline.Meter.Meter && instrument.Name == UsageInstruments.TokenUsage) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, _, _, _) =>
        {
            inside.Set();
            gate.Wait();
        });
        listener.Start();
        using var dropped = new MetricCollector<long>(pipeline.Meter.Meter, UsageInstruments.MetricsDropped);

        recorder.RecordCompleted("gpt-4o", 1, 1);
        Assert.True(inside.Wait(TimeSpan.FromSeconds(10)), "the reader never reached the listener");
        for (var i = 0; i < 49; i++) recorder.RecordCompleted("gpt-4o", 1, 1);
        var stats = await StatsAsync(pump);
        dropped.RecordObservableInstruments();
        gate.Set();
        await pipeline.StopAsync();

        Assert.Equal(50, stats.Totals.Requests);
        // One event in the reader's hands, four in the queue: the other 45 were refused and counted.
        Assert.Equal(45, dropped.LastMeasurement!.Value);
        Assert.Equal(5, pipeline.Measured);
        Assert.Empty(recorder.MeterFeeds.Current);
    }

    private static long Sum(MetricCollector<long> collector, string tag, string value)
        => collector.GetMeasurementSnapshot().ContainsTags(new KeyValuePair<string, object?>(tag, value)).Sum(m => m.Value);
}
