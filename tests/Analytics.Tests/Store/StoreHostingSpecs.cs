using Akka.Actor;
using Akka.Hosting;
using Analytics.Actors.Store;
using Analytics.Tests.Sync;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using static Analytics.Tests.Store.StoreTestSupport;

namespace Analytics.Tests.Store;

/// <summary>
/// The store inside a generic host wired like the product: read-your-writes history, history across restarts,
/// store-dropped and retried commits under a locked file, retention, and start errors.
/// </summary>
public sealed class StoreHostingSpecs : IDisposable
{
    private readonly string _dir = NewFolder();
    private readonly LogCapture _logs = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private string Ledger => Path.Combine(_dir, "analytics.db");

    private Dictionary<string, string?> Settings(params (string Key, string Value)[] store)
    {
        var settings = new Dictionary<string, string?> { ["Analytics:Store:Path"] = Ledger, ["Analytics:Store:BatchInterval"] = "00:00:00.005" };
        foreach (var (key, value) in store) settings[$"Analytics:Store:{key}"] = value;
        return settings;
    }

    private static void Record(UsageRecorder recorder, int n, long timestampMs = 0, string prefix = "e")
    {
        for (var i = 0; i < n; i++)
        {
            var identity = new EventIdentity { EventId = $"{prefix}-{i}", TimestampMs = timestampMs };
            // Latencies over three decades, some requests without a TTFT: the history's percentiles must be the live ones.
            var timing = new RequestTiming { DurationMs = 5 + i * 37 % 20_000, TimeToFirstTokenMs = i % 5 == 0 ? null : i * 13 % 900 };
            Assert.True(i % 4 == 0
                ? recorder.TryRecordFailed("claude-3-5-haiku-20241022", new RequestAttribution { AgentId = "a" }, new RequestFailure { ErrorCode = "overloaded" },
                    timing with { TimeToFirstTokenMs = null }, identity)
                : recorder.TryRecordCompleted(i % 2 == 0 ? "gpt-4o" : "gpt-4o-mini", new TokenUsage(1_000 + i, 100), new RequestAttribution { AgentId = i % 3 == 0 ? "b" : null },
                    timing, identity: identity));
        }
    }

    private static long LedgerRows(string path)
    {
        using var c = LedgerDatabase.OpenExistingReader(path);
        return LedgerReader.Count(c);
    }

    [Fact]
    public async Task A_history_query_sees_every_event_recorded_before_it_as_the_live_stats_do()
    {
        using var host = SyncTestSupport.BuildHost(Settings(("BatchInterval", "00:00:01")), _logs); // a slow batch: the barrier must wait for it
        await host.StartAsync();
        var recorder = host.Services.GetRequiredService<UsageRecorder>();
        var store = host.Services.GetRequiredService<IUsageStore>();
        Record(recorder, 1_000);

        var history = await store.GetUsageAsync(new UsageQueries.GetUsage(By: UsageBucketSize.Day));
        var live = await host.Services.GetRequiredService<IUsageStats>().GetAsync();

        Assert.Equal(1_000, history.Totals.Requests);
        Assert.NotNull(live.Totals.DurationMsPercentiles);
        Assert.NotNull(live.ByAgent["b"].TimeToFirstTokenMsPercentiles);
        Assert.Equal(live.Totals, history.Totals); // percentiles included: the rows are records
        Assert.Equal(live.Totals.TimeToFirstTokenMsPercentiles, history.Totals.TimeToFirstTokenMsPercentiles);
        Assert.Equal(live.ByModel.OrderBy(p => p.Key), history.ByModel.OrderBy(p => p.Key));
        Assert.Equal(live.ByAgent.OrderBy(p => p.Key), history.ByAgent.OrderBy(p => p.Key));
        Assert.Equal(history.Totals, Assert.Single(history.Buckets).Totals); // everything was stamped today
        Assert.Equal(new StoreCounters(1_000, 1_000, 0, 0, 0, 0, 0), store.Counters);

        // The Ask the service makes, made directly through the registry key.
        var ledger = await host.Services.GetRequiredService<ActorRegistry>().GetAsync<UsageLedger>();
        Record(recorder, 10, prefix: "more");
        var asked = await ledger.Ask<UsageHistory>(new UsageQueries.GetUsage(), TimeSpan.FromSeconds(10));
        Assert.Equal(1_010, asked.Totals.Requests);
        await host.StopAsync();
    }

    [Fact]
    public async Task The_commit_barrier_waits_for_the_writer_and_says_nothing_was_lost()
    {
        using var host = SyncTestSupport.BuildHost(Settings(("BatchInterval", "00:00:00.500")), _logs);
        await host.StartAsync();
        var store = host.Services.GetRequiredService<IUsageStore>();
        Record(host.Services.GetRequiredService<UsageRecorder>(), 300);

        var commit = await store.WhenCommittedAsync();

        Assert.True(commit.Complete);
        Assert.Equal(300, commit.Settled);
        Assert.Equal(300, LedgerRows(Ledger)); // committed: another connection sees the rows
        await host.StopAsync();
    }

    [Fact]
    public async Task History_survives_a_restart_and_a_replayed_id_is_not_counted_again()
    {
        using (var first = SyncTestSupport.BuildHost(Settings(), _logs))
        {
            await first.StartAsync();
            Record(first.Services.GetRequiredService<UsageRecorder>(), 200);
            await first.StopAsync(); // the flush commits the tail
        }

        using var second = SyncTestSupport.BuildHost(Settings(), _logs);
        await second.StartAsync();
        var store = second.Services.GetRequiredService<IUsageStore>();
        Assert.Equal(200, (await store.GetUsageAsync(new UsageQueries.GetUsage())).Totals.Requests);
        Record(second.Services.GetRequiredService<UsageRecorder>(), 250); // ids e-0..e-199 again, and 50 new ones

        var history = await store.GetUsageAsync(new UsageQueries.GetUsage());
        await second.StopAsync();

        Assert.Equal(250, history.Totals.Requests);
        Assert.Equal(new StoreCounters(250, 50, 200, 0, 0, 0, 0), store.Counters);
    }

    [Fact]
    public async Task A_locked_file_makes_batches_retry_and_a_full_queue_count_store_dropped_and_nothing_is_silent()
    {
        using var host = SyncTestSupport.BuildHost(Settings(("QueueCapacity", "50"), ("BatchSize", "10")), _logs);
        await host.StartAsync();
        var recorder = host.Services.GetRequiredService<UsageRecorder>();
        var store = host.Services.GetRequiredService<IUsageStore>();
        var before = store.Counters;

        // Another process's write lock: the writer's commits fail (busy) and are retried until it goes.
        var locker = new SqliteConnection($"Data Source={Ledger};Pooling=False");
        locker.Open();
        LedgerDatabase.Execute(locker, "PRAGMA busy_timeout = 5000; BEGIN EXCLUSIVE");
        try
        {
            Record(recorder, 2_000);
            await SyncTestSupport.WaitUntil(() => store.Counters!.StoreDropped > 0 && _logs.Contains("failed to commit"), TimeSpan.FromSeconds(20),
                "a full queue and a failed commit");
        }
        finally
        {
            LedgerDatabase.Execute(locker, "ROLLBACK");
            locker.Dispose();
        }

        var commit = await store.WhenCommittedAsync(before);
        var c = store.Counters!;
        await host.StopAsync();

        Assert.False(commit.Complete);
        Assert.Equal(c.StoreDropped, commit.StoreDropped);
        Assert.True(commit.StoreDropped > 0);
        Assert.Equal(2_000, c.HandedToStore + c.StoreDropped); // every event is in one of the two
        Assert.Equal(c.HandedToStore, c.Inserted);
        Assert.Equal(0, c.Failed);
        Assert.Equal(c.Inserted, LedgerRows(Ledger));
        Assert.Contains(_logs.Entries, e => e.Message.Contains("committed on attempt")); // the retried batch got in
    }

    [Fact]
    public async Task Retention_deletes_settled_rows_older_than_RetainEvents_by_event_time_and_keeps_their_rollups()
    {
        var now = DateTimeOffset.Parse("2026-11-20T12:00:00Z");
        var clock = new FakeTimeProvider(now);
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(Settings(("RetainEvents", "1.00:00:00")));
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddUsageAnalytics(builder.Configuration);
        builder.Services.AddAkka("store-retention", akka => akka.WithUsageAnalytics());
        using var host = builder.Build();
        await host.StartAsync();
        var recorder = host.Services.GetRequiredService<UsageRecorder>();
        Record(recorder, 30, timestampMs: (now - TimeSpan.FromDays(3)).ToUnixTimeMilliseconds(), prefix: "old");
        Record(recorder, 20, timestampMs: (now - TimeSpan.FromHours(2)).ToUnixTimeMilliseconds(), prefix: "new");
        var store = host.Services.GetRequiredService<IUsageStore>();
        await store.WhenCommittedAsync();

        var writer = await host.Services.GetRequiredService<ActorRegistry>().GetAsync<StoreWriterActor>();
        var done = await writer.Ask<StoreWriterActor.RetentionDone>(StoreWriterActor.RunRetention.Instance, TimeSpan.FromSeconds(10));

        Assert.Null(done.Error);
        Assert.Equal(30, done.Deleted);
        Assert.Equal(20, LedgerRows(Ledger));
        Assert.Equal(50, (await store.GetUsageAsync(new UsageQueries.GetUsage(now - TimeSpan.FromDays(7)))).Totals.Requests);
        await host.StopAsync();
    }

    [Fact]
    public async Task With_the_store_off_nothing_is_opened_and_history_is_a_clear_error()
    {
        using var host = SyncTestSupport.BuildHost(new Dictionary<string, string?>(), _logs);
        await host.StartAsync();
        var store = host.Services.GetRequiredService<IUsageStore>();

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => store.GetUsageAsync(new UsageQueries.GetUsage()));
        await host.StopAsync();

        Assert.False(store.Enabled);
        Assert.Null(store.Counters);
        Assert.Contains("Analytics:Store:Path", e.Message);
        Assert.False(host.Services.GetRequiredService<ActorRegistry>().TryGet<StoreWriterActor>(out _));
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public async Task A_corrupt_file_stops_the_start_with_its_path_and_is_left_as_it_was()
    {
        var bytes = Enumerable.Range(0, 8192).Select(i => (byte)(i * 7 % 256)).ToArray();
        await File.WriteAllBytesAsync(Ledger, bytes);
        using var host = SyncTestSupport.BuildHost(Settings(), _logs);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains(Ledger, e.Message);
        Assert.Contains("not a SQLite database", e.Message);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Ledger));
    }

    [Theory]
    [InlineData("RetainEvents", "00:10:00", "Analytics:Store:RetainEvents must be between 01:00:00 and 36500.00:00:00 (got 00:10:00).")]
    [InlineData("BatchSize", "0", "Analytics:Store:BatchSize must be between 1 and 100000 (got 0).")]
    [InlineData("BatchInterval", "00:01:00", "Analytics:Store:BatchInterval must be between 00:00:00.0010000 and 00:00:10 (got 00:01:00).")]
    [InlineData("QueueCapacity", "20000000", "Analytics:Store:QueueCapacity must be between 1 and 10000000 (got 20000000).")]
    [InlineData("FlushTimeout", "00:01:00", "Analytics:Store:FlushTimeout must be between 00:00:00.0010000 and 00:00:20 (got 00:01:00).")]
    public async Task A_bad_store_setting_names_the_key_the_range_and_the_value(string key, string value, string message)
    {
        using var host = SyncTestSupport.BuildHost(Settings((key, value)), _logs);
        var e = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(message, e.Message);
        Assert.False(File.Exists(Ledger)); // validation comes before the file is touched
    }
}
