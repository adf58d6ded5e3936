using Analytics.Actors.Budgets;
using Analytics.Actors.Metrics;
using Microsoft.Extensions.Time.Testing;

namespace Analytics.Tests.Budgets;

/// <summary>The evaluator alone: order-independent crossings, each once; resumed windows; forgotten windows; published changes.</summary>
public sealed class BudgetEvaluatorSpecs
{
    private static readonly DateTimeOffset Monday = new(2026, 3, 9, 0, 0, 0, TimeSpan.Zero);
    private const long HourMs = 3_600_000;

    private static BudgetDefinition Budget(string name, BudgetScope scope, string value, BudgetWindow window, long limit, params int[] thresholds)
        => new(name, scope, value, window, limit, thresholds.Length == 0 ? [50, 80, 100] : thresholds);

    private static SpendRecord Spend(long timestampMs, long cost, string? agent = "a", string model = "gpt-4o", string provider = "openai", string? id = null)
        => new(id ?? Guid.NewGuid().ToString("D"), timestampMs, cost, model, provider, agent);

    private static HashSet<(string, long, int)> Crossed(IEnumerable<BudgetCrossing> crossings)
    {
        var set = new HashSet<(string, long, int)>();
        foreach (var c in crossings) Assert.True(set.Add((c.Budget.Name, c.WindowStartMs, c.ThresholdPercent)), $"{c.Budget.Name} {c.WindowStartMs} {c.ThresholdPercent}% crossed twice");
        return set;
    }

    [Fact]
    public void The_crossings_of_a_window_do_not_depend_on_the_order_its_requests_arrive_in()
    {
        var budgets = new[]
        {
            Budget("all-hourly", BudgetScope.Agent, "*", BudgetWindow.Hour, 2_000, 25, 50, 75, 100, 150),
            Budget("a-daily", BudgetScope.Agent, "a", BudgetWindow.Day, 20_000),
            Budget("mini-daily", BudgetScope.Model, "gpt-4o-mini", BudgetWindow.Day, 7_000),
            Budget("anthropic-weekly", BudgetScope.Provider, "anthropic", BudgetWindow.Week, 30_000),
        };
        var random = new Random(7);
        var requests = Enumerable.Range(0, 3_000).Select(_ => Spend(
            Monday.ToUnixTimeMilliseconds() + random.NextInt64(0, 10 * 24 * HourMs),
            random.Next(0, 60),
            agent: random.Next(4) switch { 0 => null, 1 => "a", 2 => "b", _ => "c" },
            model: random.Next(3) == 0 ? "gpt-4o-mini" : "claude-sonnet-4-5",
            provider: random.Next(2) == 0 ? "anthropic" : "openai")).ToArray();

        HashSet<(string, long, int)>? first = null;
        for (var run = 0; run < 5; run++)
        {
            var evaluator = new BudgetEvaluator(budgets, new FakeTimeProvider(Monday));
            foreach (var r in requests.OrderBy(_ => random.Next())) evaluator.Evaluate(r);
            var crossed = Crossed(evaluator.TakeCrossings());
            if (first is null) first = crossed;
            else Assert.Equal(first, crossed);
        }

        // Independently: a window crosses t when its total reaches t percent of the limit.
        var expected = new HashSet<(string, long, int)>();
        foreach (var b in budgets)
        {
            var counted = requests.Where(r => b.Value == "*" || b.Scope switch
            {
                BudgetScope.Agent => r.AgentId == b.Value,
                BudgetScope.Model => r.Model == b.Value,
                _ => r.Provider == b.Value,
            });
            foreach (var window in counted.GroupBy(r => BudgetWindows.Start(b.Window, r.TimestampMs)))
            {
                var total = window.Sum(r => r.CostMicros);
                foreach (var t in b.Thresholds.Where(t => total * 100 >= b.LimitMicros * t)) expected.Add((b.Name, window.Key, t));
            }
        }
        Assert.Equal(expected, first);
        Assert.True(expected.Count > 20, $"the data should cross many thresholds, crossed {expected.Count}");
    }

    [Fact]
    public void A_threshold_is_reached_exactly_at_its_percentage_with_integer_arithmetic()
    {
        // 1/3 of a limit of 3 micros is 33.33 %: exactly 1 micro reaches 33 % but not 34 %.
        var evaluator = new BudgetEvaluator([Budget("b", BudgetScope.Agent, "*", BudgetWindow.Day, 3, 33, 34, 100)], new FakeTimeProvider(Monday));
        evaluator.Evaluate(Spend(Monday.ToUnixTimeMilliseconds(), 1));
        Assert.Equal([33], evaluator.TakeCrossings().Select(c => c.ThresholdPercent));
        evaluator.Evaluate(Spend(Monday.ToUnixTimeMilliseconds(), 2));
        var crossings = evaluator.TakeCrossings();
        Assert.Equal([34, 100], crossings.Select(c => c.ThresholdPercent));
        Assert.All(crossings, c => Assert.Equal(3, c.SpentMicros));
    }

    [Fact]
    public void Spend_saturates_instead_of_wrapping()
    {
        var evaluator = new BudgetEvaluator([Budget("b", BudgetScope.Agent, "*", BudgetWindow.Day, long.MaxValue, 100)], new FakeTimeProvider(Monday));
        evaluator.Evaluate(Spend(Monday.ToUnixTimeMilliseconds(), long.MaxValue - 1));
        evaluator.Evaluate(Spend(Monday.ToUnixTimeMilliseconds(), 5));
        Assert.Equal([100], evaluator.TakeCrossings().Select(c => c.ThresholdPercent));
        Assert.Equal(long.MaxValue, Assert.Single(evaluator.Windows()).SpentMicros);
    }

    [Fact]
    public void A_resumed_window_keeps_its_spend_and_crossings_and_skips_requests_the_ledger_held()
    {
        var now = Monday.AddHours(12);
        var day = Monday.ToUnixTimeMilliseconds();
        var asked = new List<string>();
        var resume = new BudgetResume(
            Crossed: new Dictionary<(string, long), IReadOnlyList<int>> { [("b", day)] = [50] },
            Spent: new Dictionary<string, (long, long)> { ["b"] = (day, 600) },
            StoredAtStart: id => { asked.Add(id); return id.StartsWith("old", StringComparison.Ordinal); },
            CheckBeforeMs: now.ToUnixTimeMilliseconds() + 60_000);
        var evaluator = new BudgetEvaluator([Budget("b", BudgetScope.Agent, "*", BudgetWindow.Day, 1_000)], new FakeTimeProvider(now), resume);

        evaluator.Evaluate(Spend(day + HourMs, 300, id: "old-1"));                                   // in the ledger already: not again
        evaluator.Evaluate(Spend(day + HourMs, 150, id: "new-1"));                                   // new, stamped before the start: asked, counted
        evaluator.Evaluate(Spend(now.ToUnixTimeMilliseconds() + 120_000, 100, id: "old-but-late"));  // stamped after the check window: not asked
        evaluator.Evaluate(Spend(day - HourMs, 999, id: "old-2"));                                   // yesterday: not a resumed window, not asked

        Assert.Equal(["old-1", "new-1"], asked);
        Assert.Equal(1, evaluator.SkippedStored);
        var crossings = evaluator.TakeCrossings();
        Assert.Equal([(day, 80), (day - 24 * HourMs, 50), (day - 24 * HourMs, 80)], crossings.Select(c => (c.WindowStartMs, c.ThresholdPercent)));
        BudgetStatus? status = null;
        evaluator.Publish(now.ToUnixTimeMilliseconds(), (_, s) => status = s);
        Assert.Equal(850, status!.SpentMicros);
        Assert.Equal([50, 80], status.ThresholdsCrossed.ToArray());
    }

    [Fact]
    public void Publishing_hands_out_only_what_changed_and_marks_windows_incomplete_after_drops()
    {
        var clock = new FakeTimeProvider(Monday.AddHours(5));
        var evaluator = new BudgetEvaluator([Budget("x", BudgetScope.Agent, "x", BudgetWindow.Hour, 100), Budget("y", BudgetScope.Agent, "y", BudgetWindow.Hour, 100)], clock);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var published = new List<BudgetStatus>();
        evaluator.Publish(now, (_, s) => published.Add(s));
        Assert.Equal(2, published.Count);

        published.Clear();
        evaluator.Evaluate(Spend(now, 60, agent: "x"));
        evaluator.Publish(now, (_, s) => published.Add(s));
        var x = Assert.Single(published);
        Assert.Equal(("x", 60L, false), (x.Name, x.SpentMicros, x.Incomplete));

        published.Clear();
        evaluator.NoticeDrops(3, now);
        evaluator.Publish(now, (_, s) => published.Add(s));
        Assert.Equal(2, published.Count);
        Assert.All(published, s => Assert.True(s.Incomplete));

        // The next hour starts after the drops: complete again, nothing spent.
        published.Clear();
        evaluator.Publish(now + HourMs, (_, s) => published.Add(s));
        Assert.All(published, s => Assert.Equal((0L, false), (s.SpentMicros, s.Incomplete)));
        Assert.Equal(Monday.AddHours(6), published[0].WindowStart);
    }

    [Fact]
    public void Past_the_window_cap_the_oldest_window_is_forgotten_and_its_requests_counted_as_late()
    {
        var evaluator = new BudgetEvaluator([Budget("h", BudgetScope.Agent, "*", BudgetWindow.Hour, 1_000_000)], new FakeTimeProvider(Monday));
        var start = Monday.ToUnixTimeMilliseconds();
        for (var h = 0; h <= BudgetEvaluator.MaxWindowsPerBudget; h++) evaluator.Evaluate(Spend(start + h * HourMs, 1));

        Assert.Equal(1, evaluator.Evicted);
        Assert.Equal(BudgetEvaluator.MaxWindowsPerBudget, evaluator.Windows().Count);
        Assert.Equal(start + HourMs, evaluator.Windows()[0].WindowStartMs);
        evaluator.Evaluate(Spend(start, 1));           // the forgotten hour
        evaluator.Evaluate(Spend(start - HourMs, 1));  // older still
        Assert.Equal(2, evaluator.Late);
        Assert.Equal(BudgetEvaluator.MaxWindowsPerBudget, evaluator.Windows().Count);
    }

    [Fact]
    public void A_full_feed_counts_what_it_refused_and_hands_out_completed_requests_only()
    {
        var recorder = new UsageRecorder(64);
        var feed = new TapBudgetFeed(recorder, capacity: 2);
        feed.Attach();
        var tap = Assert.Single(recorder.Taps.Current);
        tap.Offer(new LlmRequestFailed { EventId = "f", Model = "m", Provider = "openai", TimestampMs = 1 });
        tap.Offer(new LlmRequestCompleted { EventId = "c", Model = "m", Provider = "openai", TimestampMs = 2, CostMicros = 7, AgentId = "a" });
        tap.Offer(new LlmRequestCompleted { EventId = "d", Model = "m", Provider = "openai", TimestampMs = 3, CostMicros = 9 });

        Assert.Equal((2L, 1L), (feed.Accepted, feed.Dropped));
        Assert.True(feed.TryRead(out var r));
        Assert.Equal(new SpendRecord("c", 2, 7, "m", "openai", "a"), r);
        Assert.False(feed.TryRead(out _));
        Assert.Equal(2, feed.Taken);
        feed.Detach();
        Assert.Empty(recorder.Taps.Current);
    }

    [Fact]
    public void The_sample_feed_takes_what_fits_skips_failed_requests_and_gives_each_batch_back_once_read()
    {
        var recorder = new UsageRecorder(64);
        var feed = new SampleBudgetFeed(recorder, capacity: 2);
        feed.Attach();
        var pumpSide = Assert.Single(recorder.MeterFeeds.Current);
        Assert.True(pumpSide.WantsTimestamps);
        var pool = MeterBatch.NewPool(retain: 1);
        var batch = pool.Rent();
        batch.Add() = new MeterSample { Model = "m", Provider = "openai", Failed = true, TimestampMs = 1 };
        batch.Add() = new MeterSample { Model = "m", Provider = "openai", Agent = "a", CostMicros = 7, TimestampMs = 2 };
        batch.Add() = new MeterSample { Model = "m", Provider = "openai", CostMicros = 9, TimestampMs = 3 };
        batch.HandOver(1);
        pumpSide.Offer(batch);

        Assert.Equal((2L, 1L), (feed.Accepted, feed.Dropped)); // the first two fit
        Assert.True(feed.TryRead(out var r));
        Assert.Equal(new SpendRecord(null, 2, 7, "m", "openai", "a"), r);
        Assert.False(feed.TryRead(out _));
        Assert.Equal(2, feed.Taken);
        Assert.Same(batch, pool.Rent()); // back in its pool, emptied
        Assert.Equal(0, batch.Count);
        feed.Detach();
        Assert.Empty(recorder.MeterFeeds.Current);
    }
}
