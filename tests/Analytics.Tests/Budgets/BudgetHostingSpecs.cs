using System.Diagnostics.Metrics;
using Analytics.Actors.Budgets;
using Analytics.Actors.Metrics;
using Analytics.Tests.Store;
using Analytics.Tests.Sync;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using static Analytics.Tests.Budgets.BudgetTestHost;

namespace Analytics.Tests.Budgets;

/// <summary>
/// Budgets in a host wired like the product: requests recorded through the recorder, evaluated off the pump, crossings
/// recorded back as events, statuses read from DI, the gauge, and a restart with the store.
/// </summary>
public sealed class BudgetHostingSpecs : IDisposable
{
    private static readonly DateTimeOffset Monday = new(2026, 3, 9, 0, 0, 0, TimeSpan.Zero);
    private const long HourMs = 3_600_000, DayMs = 24 * HourMs;

    private readonly string _dir = StoreTestSupport.NewFolder();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static Dictionary<string, string?> Budget(Dictionary<string, string?> settings, string name, string scope, string value, string window, string limitUsd,
        params int[] thresholds)
    {
        settings[$"Analytics:Budgets:{name}:{scope}"] = value;
        settings[$"Analytics:Budgets:{name}:Window"] = window;
        settings[$"Analytics:Budgets:{name}:LimitUsd"] = limitUsd;
        for (var i = 0; i < thresholds.Length; i++) settings[$"Analytics:Budgets:{name}:Thresholds:{i}"] = thresholds[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        return settings;
    }

    [Fact]
    public async Task A_week_of_requests_in_shuffled_order_crosses_exactly_the_expected_thresholds_per_UTC_day()
    {
        var settings = new Dictionary<string, string?>();
        string[] agents = ["alpha", "beta", "gamma"];
        foreach (var agent in agents) Budget(settings, $"{agent}-daily", "Agent", agent, "day", "0.5");
        Budget(settings, "all-daily", "Agent", "*", "day", "1.2", 25, 50, 75, 100, 200);
        using var host = Build(settings, new FakeTimeProvider(Monday.AddDays(8)));
        await host.StartAsync();
        var recorder = host.Services.GetRequiredService<UsageRecorder>();
        using var subscription = recorder.Subscribe(100_000);

        var random = new Random(2026);
        var requests = Enumerable.Range(0, 2_100).Select(i => (
            Id: $"r-{i}",
            At: Monday.ToUnixTimeMilliseconds() + random.NextInt64(0, 7 * DayMs),
            Cost: (long)random.Next(0, 18_000),
            Agent: random.Next(5) switch { 0 => null, 1 => "delta", var k => agents[k - 2] })).ToList();
        foreach (var r in requests.OrderBy(_ => random.Next())) Record(recorder, r.Id, r.At, r.Cost, r.Agent);

        var events = await SettleAsync(host, subscription);

        // Independently, per UTC calendar day: a budget crosses t when its day's total reaches t percent of its limit.
        var expected = new List<(string, long, int)>();
        foreach (var day in requests.GroupBy(r => DateTimeOffset.FromUnixTimeMilliseconds(r.At).UtcDateTime.Date))
        {
            var dayStart = new DateTimeOffset(day.Key, TimeSpan.Zero).ToUnixTimeMilliseconds();
            var all = day.Sum(r => r.Cost);
            expected.AddRange(new[] { 25, 50, 75, 100, 200 }.Where(t => all * 100 >= 1_200_000L * t).Select(t => ("all-daily", dayStart, t)));
            foreach (var agent in agents)
            {
                var spent = day.Where(r => r.Agent == agent).Sum(r => r.Cost);
                expected.AddRange(new[] { 50, 80, 100 }.Where(t => spent * 100 >= 500_000L * t).Select(t => ($"{agent}-daily", dayStart, t)));
            }
        }
        var actual = events.Select(e => (e.BudgetName!, e.WindowStartMs, e.ThresholdPercent)).ToList();
        Assert.Equal(expected.Order(), actual.Order()); // each expected crossing exactly once, nothing else
        Assert.True(expected.Count >= 30, $"the week should cross many thresholds (crossed {expected.Count})");
        Assert.All(events, e =>
        {
            Assert.True((Int128)e.CurrentSpendMicros * 100 >= (Int128)e.BudgetMicros * e.ThresholdPercent);
            Assert.Equal(e.BudgetName == "all-daily" ? null : e.BudgetName![..e.BudgetName!.IndexOf('-')], e.AgentId);
        });
        var stats = await host.Services.GetRequiredService<IUsageStats>().GetAsync();
        Assert.Equal(expected.Count, stats.Lifecycle.BudgetThresholdsReached);
        await host.StopAsync();
    }

    [Fact]
    public async Task Requests_recorded_from_several_threads_cross_each_threshold_once()
    {
        var settings = Budget(new Dictionary<string, string?>(), "shared", "Agent", "shared", "hour", "4", 10, 20, 30, 40, 50, 60, 70, 80, 90, 100);
        var clock = new FakeTimeProvider(Monday.AddHours(10).AddMinutes(30));
        using var host = Build(settings, clock);
        await host.StartAsync();
        var recorder = host.Services.GetRequiredService<UsageRecorder>();
        using var subscription = recorder.Subscribe(10_000);

        const int threads = 4, perThread = 2_000; // 8,000 requests of 500 micros: 4 USD, the whole limit
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < perThread; i++) Record(recorder, $"t{t}-{i}", 0, 500, "shared"); // stamped by the pump with the clock's now
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());

        var events = await SettleAsync(host, subscription);

        Assert.Equal([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], events.Select(e => e.ThresholdPercent).Order());
        var status = host.Services.GetRequiredService<IBudgetStatus>().Get("SHARED")!; // names ignore case
        Assert.Equal((4_000_000L, 4_000_000L, true, 100d), (status.SpentMicros, status.LimitMicros, status.LimitReached, status.Percent));
        Assert.Equal(Monday.AddHours(10), status.WindowStart);
        Assert.Equal(10, status.ThresholdsCrossed.Length);
        await host.StopAsync();
    }

    [Fact]
    public async Task Statuses_are_read_from_DI_by_name_agent_model_and_provider_and_move_to_the_next_window_on_time()
    {
        var settings = new Dictionary<string, string?>();
        Budget(settings, "alpha", "Agent", "alpha", "day", "1");
        Budget(settings, "everything", "Model", "*", "month", "100");
        Budget(settings, "mini", "Model", "gpt-4o-mini", "hour", "0.01");
        Budget(settings, "anthropic", "Provider", "Anthropic", "week", "10");
        var clock = new FakeTimeProvider(Monday.AddHours(23).AddMinutes(59));
        using var host = Build(settings, clock, services: s => s.AddHealthChecks().AddUsageAnalytics());
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        using var gauge = new MetricCollector<double>(factory, UsageInstruments.MeterName, UsageInstruments.BudgetSpend);
        var budgets = host.Services.GetRequiredService<IBudgetStatus>();
        Assert.False(budgets.Enabled);
        Assert.Null(budgets.Get("alpha"));
        await host.StartAsync();
        var recorder = host.Services.GetRequiredService<UsageRecorder>();
        using var subscription = recorder.Subscribe();

        Record(recorder, "a", 0, 250_000, "alpha", "gpt-4o-mini");
        Record(recorder, "b", 0, 100_000, "beta", "claude-sonnet-4-5");
        await SettleAsync(host, subscription);

        Assert.True(budgets.Enabled);
        Assert.Equal(["alpha", "anthropic", "everything", "mini"], budgets.All.Select(s => s.Name));
        Assert.Equal(["alpha", "everything"], budgets.ForAgent("alpha").Select(s => s.Name));
        Assert.Equal(["everything"], budgets.ForAgent("nobody").Select(s => s.Name));
        Assert.Equal(["everything", "mini"], budgets.ForModel("gpt-4o-mini").Select(s => s.Name));
        Assert.Equal(["anthropic", "everything"], budgets.ForProvider("ANTHROPIC").Select(s => s.Name));
        Assert.Same(budgets.ForAgent("alpha"), budgets.ForAgent("alpha")); // published once, read without copying
        Assert.Equal((250_000L, 25d, false), (budgets.Get("alpha")!.SpentMicros, budgets.Get("alpha")!.Percent, budgets.Get("alpha")!.LimitReached));
        Assert.Equal((250_000L, true), (budgets.Get("mini")!.SpentMicros, budgets.Get("mini")!.LimitReached));
        Assert.Equal(100_000, budgets.Get("anthropic")!.SpentMicros);
        Assert.Equal(350_000, budgets.Get("everything")!.SpentMicros);
        Assert.Equal(Monday, budgets.Get("anthropic")!.WindowStart);
        Assert.Equal(Monday.AddDays(7), budgets.Get("anthropic")!.WindowEnd);
        // The row a listing of current windows writes (the replay report's fields).
        Assert.Equal(new BudgetWindowReport("alpha", Monday.ToUnixTimeMilliseconds(), Monday.AddDays(1).ToUnixTimeMilliseconds(), 250_000, 1_000_000, [], false),
            BudgetWindowReport.Of(budgets.Get("alpha")!) with { ThresholdsCrossed = [] });

        gauge.RecordObservableInstruments();
        var measured = gauge.GetMeasurementSnapshot().ToDictionary(m => (string)m.Tags[UsageInstruments.BudgetName]!, m => m.Value);
        Assert.Equal(0.25, measured["alpha"], 9);
        Assert.Equal(0.35, measured["everything"], 9);

        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(0L, health.Entries["usage-analytics"].Data["budget_not_evaluated"]);

        // Midnight: the daily and hourly budgets start again from zero, at once, whatever the evaluator is doing.
        clock.Advance(TimeSpan.FromMinutes(1));
        var alpha = budgets.Get("alpha")!;
        Assert.Equal((Monday.AddDays(1), 0L, 0), (alpha.WindowStart, alpha.SpentMicros, alpha.ThresholdsCrossed.Length));
        Assert.Equal(0, budgets.ForModel("gpt-4o-mini").Single(s => s.Name == "mini").SpentMicros);
        Assert.Equal(350_000, budgets.Get("everything")!.SpentMicros); // the month goes on
        await host.StopAsync();
        Assert.True(budgets.Enabled); // the last statuses stay readable
    }

    [Fact]
    public async Task A_restart_with_the_store_resumes_the_window_repeats_no_crossing_and_misses_none()
    {
        var now = Monday.AddDays(2).AddHours(12); // Wednesday noon
        var today = now.ToUnixTimeMilliseconds() - 12 * HourMs;
        var settings = new Dictionary<string, string?> { ["Analytics:Store:Path"] = Path.Combine(_dir, "analytics.db"), ["Analytics:Store:BatchInterval"] = "00:00:00.005" };
        Budget(settings, "daily", "Agent", "*", "day", "1");
        Budget(settings, "alpha-weekly", "Agent", "alpha", "week", "2", 25, 50, 100);

        List<BudgetThresholdReached> first;
        using (var host = Build(settings, new FakeTimeProvider(now)))
        {
            await host.StartAsync();
            var recorder = host.Services.GetRequiredService<UsageRecorder>();
            using var subscription = recorder.Subscribe();
            for (var i = 0; i < 6; i++) Record(recorder, $"h1-{i}", today + 8 * HourMs + i * 60_000, 100_000, "alpha");
            first = await SettleAsync(host, subscription);
            await host.StopAsync();
        }
        Assert.Equal([("alpha-weekly", 25), ("daily", 50)], first.Select(e => (e.BudgetName!, e.ThresholdPercent)).Order());

        using var second = Build(settings, new FakeTimeProvider(now.AddMinutes(30)));
        await second.StartAsync();
        var budgets = second.Services.GetRequiredService<IBudgetStatus>();
        Assert.Equal(600_000L, budgets.Get("daily")!.SpentMicros);
        Assert.Equal([50], budgets.Get("daily")!.ThresholdsCrossed.ToArray());
        Assert.Equal(600_000L, budgets.Get("alpha-weekly")!.SpentMicros);
        Assert.Equal([25], budgets.Get("alpha-weekly")!.ThresholdsCrossed.ToArray());
        var recorder2 = second.Services.GetRequiredService<UsageRecorder>();
        using var sub2 = recorder2.Subscribe();

        // The first run's requests again (a replayed log): in the resumed spend already, so they add nothing.
        for (var i = 0; i < 6; i++) Record(recorder2, $"h1-{i}", today + 8 * HourMs + i * 60_000, 100_000, "alpha");
        for (var i = 0; i < 3; i++) Record(recorder2, $"h2-{i}", now.ToUnixTimeMilliseconds() + i, 100_000, "alpha");
        var afterThree = await SettleAsync(second, sub2);
        Assert.Equal([("daily", 80)], afterThree.Select(e => (e.BudgetName!, e.ThresholdPercent)));
        Assert.Equal(900_000, budgets.Get("daily")!.SpentMicros);

        for (var i = 3; i < 5; i++) Record(recorder2, $"h2-{i}", now.ToUnixTimeMilliseconds() + i, 100_000, "alpha");
        var afterFive = await SettleAsync(second, sub2);
        Assert.Equal([("alpha-weekly", 50), ("daily", 100)], afterFive.Select(e => (e.BudgetName!, e.ThresholdPercent)).Order());
        Assert.Equal(1_100_000L, budgets.Get("daily")!.SpentMicros);
        Assert.Equal([50, 80, 100], budgets.Get("daily")!.ThresholdsCrossed.ToArray());
        var running = second.Services.GetRequiredService<BudgetRuntime>().Current!;
        Assert.Equal(6, running.Counters.SkippedStored);
        await second.StopAsync();
        Assert.Equal(5, CrossingRows(Path.Combine(_dir, "analytics.db")));
    }

    private static long CrossingRows(string path)
    {
        using var c = Analytics.Actors.Store.LedgerDatabase.OpenExistingReader(path);
        return (long)Analytics.Actors.Store.LedgerDatabase.Scalar(c, $"SELECT count(*) FROM {Analytics.Actors.Store.BudgetLedger.Table}")!;
    }
}
