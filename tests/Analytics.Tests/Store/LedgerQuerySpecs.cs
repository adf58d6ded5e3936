using Analytics.Actors.Percentiles;
using Analytics.Actors.Store;
using Microsoft.Data.Sqlite;
using static Analytics.Tests.Store.StoreTestSupport;

namespace Analytics.Tests.Store;

/// <summary>Windowed usage from the hourly rollups: UTC buckets that add up to the window (invariant 9), hour-aligned edges.</summary>
public sealed class LedgerQuerySpecs : IDisposable
{
    private readonly string _dir = NewFolder();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static UsageHistory Usage(LedgerDatabase db, UsageQueries.GetUsage query)
    {
        using var reader = db.OpenReader();
        return LedgerReader.Usage(reader, query, DateTimeOffset.Parse("2027-01-01T00:00:00Z"));
    }

    /// <summary>
    /// Berlin's clocks in late October 2026: CEST (UTC+2) until Sunday 25 October 01:00 UTC, then CET (UTC+1), so
    /// local 02:00-03:00 happens twice that night. Written out as a rule, so the spec needs no time-zone database.
    /// </summary>
    private static DateTimeOffset BerlinLocal(DateTime local, bool secondPass = false)
    {
        var switchUtc = new DateTime(2026, 10, 25, 1, 0, 0, DateTimeKind.Utc);
        var summer = local - TimeSpan.FromHours(2);
        var winter = local - TimeSpan.FromHours(1);
        var utc = local.Hour == 2 && local.Date == switchUtc.Date ? (secondPass ? winter : summer) : summer < switchUtc ? summer : winter;
        return new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc));
    }

    [Fact]
    public async Task A_week_across_the_autumn_clock_change_buckets_by_UTC_day_and_the_buckets_add_up_to_the_totals()
    {
        using var db = LedgerDatabase.Open(Path.Combine(_dir, "dst.db"));
        using var writer = new LedgerWriter(db);
        var events = new List<LlmRequestCompleted>();
        var i = 0;
        for (var day = new DateTime(2026, 10, 21); day < new DateTime(2026, 10, 28); day = day.AddDays(1))
        {
            for (var minute = 0; minute < 24 * 60; minute += 20)
            {
                var local = day.AddMinutes(minute);
                foreach (var pass in local.Hour == 2 && day.Day == 25 ? new[] { false, true } : [false])
                {
                    i++;
                    events.Add(Completed($"dst-{i}", BerlinLocal(local, pass).ToUnixTimeMilliseconds(),
                        model: i % 3 == 0 ? "claude-sonnet-4-5" : "gpt-4o", provider: i % 3 == 0 ? "anthropic" : "openai",
                        agent: i % 2 == 0 ? "even" : null, cost: i));
                }
            }
        }
        foreach (var chunk in events.Chunk(500)) await writer.WriteAsync(chunk, Delivery.Local);

        var byDay = Usage(db, new UsageQueries.GetUsage(By: UsageBucketSize.Day));

        // Expected, straight from the UTC timestamps: local days start at 22:00 or 23:00 UTC, so 7 local days touch 8 UTC days.
        var expected = events.GroupBy(e => DateTimeOffset.FromUnixTimeMilliseconds(e.TimestampMs).UtcDateTime.Date).OrderBy(g => g.Key).ToList();
        Assert.Equal(8, expected.Count);
        Assert.Equal(expected.Select(g => new DateTimeOffset(g.Key, TimeSpan.Zero)), byDay.Buckets.Select(b => b.Start));
        Assert.Equal(expected.Select(g => (long)g.Count()), byDay.Buckets.Select(b => b.Totals.Requests));
        Assert.Equal(expected.Select(g => g.Sum(e => e.CostMicros)), byDay.Buckets.Select(b => b.Totals.CostMicros));
        // The Sunday of the change has 25 local hours; in UTC it is an ordinary 24-hour day holding both 02:00 passes.
        var sunday = byDay.Buckets.Single(b => b.Start == DateTimeOffset.Parse("2026-10-25T00:00:00Z"));
        Assert.Equal(24 * 3, sunday.Totals.Requests);

        Assert.Equal(events.Count, byDay.Totals.Requests);
        Assert.Equal(events.Sum(e => e.CostMicros), byDay.Totals.CostMicros);
        Assert.Equal(byDay.Totals.Counters, byDay.Buckets.Aggregate(default(UsageCounters), (sum, b) => sum + b.Totals.Counters));
        foreach (var (key, row) in byDay.ByModel)
            Assert.Equal(row.Counters, byDay.Buckets.Aggregate(default(UsageCounters), (sum, b) => sum + (b.ByModel.GetValueOrDefault(key)?.Counters ?? default)));
        Assert.Equal(events.Count(e => e.AgentId == "even"), byDay.ByAgent["even"].Requests);
        Assert.Equal(byDay.Totals.Counters, byDay.ByProvider.Values.Aggregate(default(UsageCounters), (sum, r) => sum + r.Counters));

        // A window cut inside days: whole days come from the daily rollups, the edge hours from the hourly ones.
        var since = DateTimeOffset.Parse("2026-10-22T05:30:00Z");
        var until = DateTimeOffset.Parse("2026-10-26T07:00:00Z");
        var inside = events.Where(e => e.TimestampMs >= DateTimeOffset.Parse("2026-10-22T05:00:00Z").ToUnixTimeMilliseconds() && e.TimestampMs < until.ToUnixTimeMilliseconds()).ToList();
        var partial = Usage(db, new UsageQueries.GetUsage(since, until, UsageBucketSize.Day));
        var flat = Usage(db, new UsageQueries.GetUsage(since, until));
        Assert.Equal(inside.Count, partial.Totals.Requests);
        Assert.Equal(inside.Sum(e => e.CostMicros), partial.Totals.CostMicros);
        Assert.Equal(inside.GroupBy(e => DateTimeOffset.FromUnixTimeMilliseconds(e.TimestampMs).UtcDateTime.Date).OrderBy(g => g.Key).Select(g => (long)g.Count()),
            partial.Buckets.Select(b => b.Totals.Requests));
        Assert.Equal(partial.Totals, flat.Totals);
        Assert.Equal(partial.ByModel.OrderBy(p => p.Key), flat.ByModel.OrderBy(p => p.Key));
        Assert.Equal(partial.ByAgent.OrderBy(p => p.Key), flat.ByAgent.OrderBy(p => p.Key));

        // Hour buckets add up to the same day buckets.
        var byHour = Usage(db, new UsageQueries.GetUsage(By: UsageBucketSize.Hour));
        Assert.Equal(byDay.Totals, byHour.Totals);
        foreach (var day in byDay.Buckets)
            Assert.Equal(day.Totals.Counters, byHour.Buckets.Where(h => h.Start.UtcDateTime.Date == day.Start.UtcDateTime).Aggregate(default(UsageCounters), (s, h) => s + h.Totals.Counters));
    }

    [Fact]
    public async Task Windowed_percentiles_are_those_of_the_requests_in_the_window_from_daily_and_hourly_sketches_and_a_resent_batch_changes_none()
    {
        using var db = LedgerDatabase.Open(Path.Combine(_dir, "latency.db"));
        using var writer = new LedgerWriter(db);
        var random = new Random(42);
        var start = DateTimeOffset.Parse("2026-11-02T00:00:00Z").ToUnixTimeMilliseconds();
        var events = new List<AnalyticsEvent>();
        for (var i = 0; i < 6_000; i++)
        {
            var at = start + (long)(random.NextDouble() * 5 * 24 * LedgerSchema.HourMs);
            var model = i % 3 == 0 ? "claude-sonnet-4-5" : "gpt-4o";
            if (i % 10 == 0)
            {
                events.Add(StoreTestSupport.Failed($"f-{i}", at, model, agent: "a") with { DurationMs = random.Next(0, 60_000) });
                continue;
            }
            var duration = (long)Math.Exp(random.NextDouble() * Math.Log(300_000));
            events.Add(Completed($"c-{i}", at, model, model == "gpt-4o" ? "openai" : "anthropic", agent: i % 2 == 0 ? "a" : null) with
            {
                DurationMs = i % 7 == 0 ? null : duration,
                TimeToFirstTokenMs = i % 4 == 0 ? null : duration / 5,
            });
        }
        foreach (var chunk in events.Chunk(700)) await writer.WriteAsync(chunk, Delivery.Local);
        await writer.WriteAsync(events.Take(2_000).ToList(), Delivery.Local); // already stored: no latency counted twice

        // Whole days 3 and 4 from the daily sketches, the edge hours of days 2 and 5 from the hourly ones.
        var since = DateTimeOffset.Parse("2026-11-03T07:00:00Z");
        var until = DateTimeOffset.Parse("2026-11-06T05:00:00Z");
        var inside = events.Where(e => e.TimestampMs >= since.ToUnixTimeMilliseconds() && e.TimestampMs < until.ToUnixTimeMilliseconds()).ToList();
        var flat = Usage(db, new UsageQueries.GetUsage(since, until));
        var byDay = Usage(db, new UsageQueries.GetUsage(since, until, UsageBucketSize.Day));
        var byHour = Usage(db, new UsageQueries.GetUsage(since, until, UsageBucketSize.Hour));

        static long? Duration(AnalyticsEvent e) => e switch { LlmRequestCompleted c => c.DurationMs, LlmRequestFailed f => f.DurationMs, _ => null };
        static long? Ttft(AnalyticsEvent e) => (e as LlmRequestCompleted)?.TimeToFirstTokenMs;
        static LatencyPercentiles? Expected(IEnumerable<AnalyticsEvent> events, Func<AnalyticsEvent, long?> value)
        {
            var sketch = new LatencySketch();
            foreach (var e in events)
            {
                if (value(e) is { } v) sketch.Add(v);
            }
            return sketch.Percentiles();
        }
        static string ModelOf(AnalyticsEvent e) => e is LlmRequestCompleted c ? c.Model : ((LlmRequestFailed)e).Model;

        foreach (var usage in new[] { flat, byDay, byHour })
        {
            Assert.Equal(Expected(inside, Duration), usage.Totals.DurationMsPercentiles);
            Assert.Equal(Expected(inside, Ttft), usage.Totals.TimeToFirstTokenMsPercentiles);
            foreach (var model in new[] { "gpt-4o", "claude-sonnet-4-5" })
            {
                Assert.Equal(Expected(inside.Where(e => ModelOf(e) == model), Duration), usage.ByModel[model].DurationMsPercentiles);
                Assert.Equal(Expected(inside.Where(e => ModelOf(e) == model), Ttft), usage.ByModel[model].TimeToFirstTokenMsPercentiles);
            }
            Assert.Equal(Expected(inside.Where(e => e.AgentId == "a"), Duration), usage.ByAgent["a"].DurationMsPercentiles);
            Assert.Equal(Expected(inside.Where(e => ModelOf(e) == "gpt-4o"), Ttft), usage.ByProvider["openai"].TimeToFirstTokenMsPercentiles);
        }
        // Each day bucket has its own day's percentiles, whether it came from the daily or the hourly sketches.
        foreach (var bucket in byDay.Buckets)
        {
            var end = bucket.Start.AddDays(1).ToUnixTimeMilliseconds();
            var day = inside.Where(e => e.TimestampMs >= bucket.Start.ToUnixTimeMilliseconds() && e.TimestampMs < end);
            Assert.Equal(Expected(day, Duration), bucket.Totals.DurationMsPercentiles);
        }
        Assert.Equal(4, byDay.Buckets.Length);
        Assert.NotEqual(Expected(events, Duration), flat.Totals.DurationMsPercentiles); // the window is not everything
    }

    [Fact]
    public async Task A_window_widens_to_whole_UTC_hours_and_reports_the_window_it_used()
    {
        using var db = LedgerDatabase.Open(Path.Combine(_dir, "edges.db"));
        using var writer = new LedgerWriter(db);
        long At(string utc) => DateTimeOffset.Parse(utc).ToUnixTimeMilliseconds();
        await writer.WriteAsync(
        [
            Completed("before", At("2026-11-01T12:59:59.999Z")),
            Completed("first", At("2026-11-01T13:00:00Z")),
            Completed("inside", At("2026-11-01T14:59:00Z")),
            Completed("after", At("2026-11-01T15:00:00Z")),
        ], Delivery.Local);

        var usage = Usage(db, new UsageQueries.GetUsage(DateTimeOffset.Parse("2026-11-01T13:30:00Z"), DateTimeOffset.Parse("2026-11-01T14:10:00+00:00")));

        Assert.Equal(DateTimeOffset.Parse("2026-11-01T13:00:00Z"), usage.Since);
        Assert.Equal(DateTimeOffset.Parse("2026-11-01T15:00:00Z"), usage.Until);
        Assert.Equal(2, usage.Totals.Requests);
        Assert.Empty(usage.Buckets);
        Assert.Equal(4, Usage(db, new UsageQueries.GetUsage()).Totals.Requests);
    }

    [Fact]
    public void An_empty_store_answers_zeros_not_an_error()
    {
        using var db = LedgerDatabase.Open(Path.Combine(_dir, "empty.db"));
        var usage = Usage(db, new UsageQueries.GetUsage(By: UsageBucketSize.Day));
        Assert.Equal(0, usage.Totals.Requests);
        Assert.Empty(usage.ByModel);
        Assert.Empty(usage.Buckets);
    }
}
