using System.Text.Json;
using Analytics.Actors.Aggregation;
using Analytics.Actors.Percentiles;
using Analytics.Tests.Host;
using Analytics.Tests.Pump;
using Xunit.Abstractions;

namespace Analytics.Tests.Percentiles;

/// <summary>Latency percentiles through the real pump and aggregators, and in the replay report.</summary>
public sealed class PercentileSpecs(ITestOutputHelper output) : PumpHarness(output)
{
    private static readonly string[] Models = ["alpha-1", "beta-1", "gamma-1"];

    /// <summary>One request as recorded, with the provider the catalog gives its model.</summary>
    private sealed record Recorded(string Model, string Provider, string? Agent, long Duration, long? FirstToken);

    [Fact]
    public async Task Every_row_s_percentiles_are_within_one_percent_of_the_exact_ones_of_its_requests()
    {
        // A small ring drained as the producer goes and small drain batches: the aggregators count many batches.
        var (recorder, pump) = StartPump(capacity: 256, options: new AnalyticsOptions { DrainBatchSize = 50 });
        var recorded = Record(recorder, new Random(7), 3_000);

        var stats = await StatsAsync(pump);

        AssertClose(recorded.Select(r => (long?)r.Duration), stats.Totals.DurationMsPercentiles, "totals duration");
        AssertClose(recorded.Select(r => r.FirstToken), stats.Totals.TimeToFirstTokenMsPercentiles, "totals time to first token");
        foreach (var (model, row) in stats.ByModel)
        {
            AssertClose(recorded.Where(r => r.Model == model).Select(r => (long?)r.Duration), row.DurationMsPercentiles, model);
            AssertClose(recorded.Where(r => r.Model == model).Select(r => r.FirstToken), row.TimeToFirstTokenMsPercentiles, model);
        }
        foreach (var (provider, row) in stats.ByProvider)
            AssertClose(recorded.Where(r => r.Provider == provider).Select(r => r.FirstToken), row.TimeToFirstTokenMsPercentiles, provider);
        foreach (var (agent, row) in stats.ByAgent)
            AssertClose(recorded.Where(r => r.Agent == agent).Select(r => (long?)r.Duration), row.DurationMsPercentiles, agent);
        Assert.Equal(4, stats.ByAgent.Count);
        Assert.Equal(3, stats.ByProvider.Count);
        Assert.Equal(stats.Totals.Counters, Sum(stats.ByModel.Values).Counters);
    }

    [Fact]
    public async Task The_same_requests_in_any_batching_give_the_same_percentiles()
    {
        // One event per batch (every request its own fold and merge), against everything in a few big batches (more
        // latencies than one hand-over holds, so a drain hands several over).
        var (oneByOne, oneByOnePump) = StartPump(capacity: 8_192, options: new AnalyticsOptions { DrainBatchSize = 1 });
        var (big, bigPump) = StartPump(capacity: 8_192, options: new AnalyticsOptions { WakeFillPercent = 100, PollInterval = TimeSpan.FromMinutes(1), DrainInterval = TimeSpan.FromMinutes(1) });
        var events = UsageFold.MaxLatencies * 2 + 100;

        Record(oneByOne, new Random(3), events);
        Record(big, new Random(3), events);
        var a = await StatsAsync(oneByOnePump);
        var b = await StatsAsync(bigPump);

        Assert.Equal(events, b.Totals.Requests);
        Assert.NotNull(a.Totals.DurationMsPercentiles);
        Assert.Equal(a.Totals, b.Totals);
        Assert.Equal(a.ByModel.OrderBy(r => r.Key), b.ByModel.OrderBy(r => r.Key));
        Assert.Equal(a.ByProvider.OrderBy(r => r.Key), b.ByProvider.OrderBy(r => r.Key));
        Assert.Equal(a.ByAgent.OrderBy(r => r.Key), b.ByAgent.OrderBy(r => r.Key));
    }

    [Fact]
    public async Task A_row_whose_requests_carried_no_latency_has_no_percentiles_and_a_sum_of_rows_has_none()
    {
        var (recorder, pump) = StartPump();
        recorder.RecordCompleted("alpha-1", new TokenUsage(10, 1), timing: new RequestTiming { DurationMs = 900 });
        recorder.RecordCompleted("beta-1", new TokenUsage(10, 1));
        recorder.RecordFailed("gamma-1", timing: new RequestTiming { DurationMs = 0 });

        var stats = await StatsAsync(pump);

        Assert.Equal(new LatencyPercentiles(900, 900, 900, 900), stats.ByModel["alpha-1"].DurationMsPercentiles);
        Assert.Null(stats.ByModel["alpha-1"].TimeToFirstTokenMsPercentiles);
        Assert.Null(stats.ByModel["beta-1"].DurationMsPercentiles);
        // A failed request's duration counts too; zero is exact.
        Assert.Equal(new LatencyPercentiles(0, 0, 0, 0), stats.ByModel["gamma-1"].DurationMsPercentiles);
        // The totals hold both durations, 0 and 900: every reported rank, floor(q x 1), is the lower one.
        Assert.Equal(new LatencyPercentiles(0, 0, 0, 0), stats.Totals.DurationMsPercentiles);
        Assert.Null(stats.Totals.TimeToFirstTokenMsPercentiles);
        Assert.Null(Sum(stats.ByModel.Values).DurationMsPercentiles);
    }

    [Fact]
    public async Task The_replay_report_has_the_percentile_fields_only_where_the_log_carried_latencies()
    {
        var dir = Directory.CreateTempSubdirectory("percentile-spec-").FullName;
        try
        {
            var path = Path.Combine(dir, "usage.jsonl");
            var lines = Enumerable.Range(1, 100).Select(i =>
                    $$"""{"event_type":"llm_request_completed","model":"gpt-4o","input_tokens":10,"output_tokens":1,"duration_ms":{{i * 10}},"time_to_first_token_ms":{{i}}}""")
                .Append("""{"event_type":"llm_request_completed","model":"gpt-4o-mini","input_tokens":10,"output_tokens":1}""");
            await File.WriteAllLinesAsync(path, lines);
            var (code, json, _) = await ReplayCommandSpecs.RunAsync(["replay", path, "--format", "json"]);
            var (_, table, _) = await ReplayCommandSpecs.RunAsync(["replay", path]);

            Assert.Equal(0, code);
            using var doc = JsonDocument.Parse(json);
            var timed = doc.RootElement.GetProperty("by_model").GetProperty("gpt-4o");
            var untimed = doc.RootElement.GetProperty("by_model").GetProperty("gpt-4o-mini");
            // Ranks floor(q x 99) of 10, 20 .. 1000: 500, 900, 950, 990 (each within 1 %).
            foreach (var (field, exact) in new[] { ("duration_ms_p50", 500d), ("duration_ms_p90", 900d), ("duration_ms_p95", 950d), ("duration_ms_p99", 990d),
                         ("time_to_first_token_ms_p50", 50d), ("time_to_first_token_ms_p90", 90d), ("time_to_first_token_ms_p95", 95d), ("time_to_first_token_ms_p99", 99d) })
                Assert.InRange(timed.GetProperty(field).GetDouble(), exact * 0.99, exact * 1.01);
            foreach (var field in new[] { "duration_ms_p50", "duration_ms_p90", "duration_ms_p95", "duration_ms_p99", "time_to_first_token_ms_p50" })
                Assert.False(untimed.TryGetProperty(field, out _), $"gpt-4o-mini has {field} without any duration");
            Assert.True(doc.RootElement.GetProperty("totals").TryGetProperty("time_to_first_token_ms_p95", out _));
            Assert.Contains("dur_p50   dur_p95   dur_p99  ttft_p50  ttft_p95  ttft_p99", table);
            Assert.Contains("latency duration p50/p95/p99 ", table);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Records <paramref name="count"/> requests (a tenth failed), waiting while the ring is full.</summary>
    private static List<Recorded> Record(UsageRecorder recorder, Random random, int count)
    {
        var recorded = new List<Recorded>(count);
        for (var i = 0; i < count; i++)
        {
            var model = Models[random.Next(Models.Length)];
            var agent = random.Next(3) == 0 ? null : $"agent-{random.Next(4)}";
            // Spread over decades (1 ms .. 1 min), zeros included, so the sketches span hundreds of buckets.
            var duration = (long)Math.Exp(random.NextDouble() * Math.Log(60_000)) - 1;
            long? firstToken = random.Next(4) == 0 ? null : random.Next(0, 3_000);
            var failed = i % 10 == 0;
            var spin = new SpinWait();
            while (!(failed
                       ? recorder.TryRecordFailed(model, new RequestAttribution { AgentId = agent }, timing: new RequestTiming { DurationMs = duration })
                       : recorder.TryRecordCompleted(model, new TokenUsage(10, 1), new RequestAttribution { AgentId = agent },
                           new RequestTiming { DurationMs = duration, TimeToFirstTokenMs = firstToken })))
                spin.SpinOnce();
            Assert.True(TestPrices.Catalog.TryGetPrice(model, out var price));
            recorded.Add(new Recorded(model, price.Provider!, agent, duration, failed ? null : firstToken));
        }
        return recorded;
    }

    private static void AssertClose(IEnumerable<long?> latencies, LatencyPercentiles? actual, string row)
    {
        var sorted = latencies.Where(l => l is not null).Select(l => l!.Value).Order().ToArray();
        if (sorted.Length == 0)
        {
            Assert.Null(actual);
            return;
        }
        Assert.NotNull(actual);
        foreach (var (q, value) in new[] { (0.5, actual.P50), (0.9, actual.P90), (0.95, actual.P95), (0.99, actual.P99) })
        {
            var exact = sorted[(long)Math.Floor(q * (sorted.Length - 1))];
            Assert.True(Math.Abs(value - exact) <= LatencySketch.RelativeAccuracy * exact * (1 + 1e-12), $"{row} p{q * 100}: {value} vs exact {exact}");
        }
    }
}
