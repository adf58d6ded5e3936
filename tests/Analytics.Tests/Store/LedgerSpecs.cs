using Analytics.Actors.Store;
using Microsoft.Data.Sqlite;
using static Analytics.Tests.Store.StoreTestSupport;

namespace Analytics.Tests.Store;

/// <summary>The ledger file itself: idempotent batches, rollups counted once, retention and its horizon, and files it refuses.</summary>
public sealed class LedgerSpecs : IDisposable
{
    private static readonly long Noon = DateTimeOffset.Parse("2026-11-02T12:00:00Z").ToUnixTimeMilliseconds();
    private readonly string _dir = NewFolder();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private string File(string name = "ledger.db") => Path.Combine(_dir, name);

    private static UsageHistory Usage(LedgerDatabase db, DateTimeOffset? since = null, DateTimeOffset? until = null, UsageBucketSize? by = null)
    {
        using var reader = db.OpenReader();
        return LedgerReader.Usage(reader, new UsageQueries.GetUsage(since, until, by), DateTimeOffset.Parse("2026-12-01T00:00:00Z"));
    }

    private static long Scalar(LedgerDatabase db, string sql)
    {
        using var reader = db.OpenReader();
        return (long)LedgerDatabase.Scalar(reader, sql)!;
    }

    [Fact]
    public async Task A_batch_stores_each_event_once_and_a_second_copy_neither_stores_nor_counts_again()
    {
        using var db = LedgerDatabase.Open(File());
        using var writer = new LedgerWriter(db);
        AnalyticsEvent[] batch =
        [
            Completed("a", Noon, agent: "agent-1"),
            Completed("b", Noon + 1_000, model: "gpt-4o-mini", cost: 150, agent: null),
            Failed("c", Noon + 2_000, agent: "agent-1"),
            Completed("a", Noon, agent: "agent-1"), // the same id again within the batch
        ];

        var first = await writer.WriteAsync(batch, Delivery.Pending);
        var second = await writer.WriteAsync(batch, Delivery.Pending);

        Assert.Equal(new BatchWritten(3, 1, 0), first);
        Assert.Equal(new BatchWritten(0, 4, 0), second);
        Assert.Equal(3, Scalar(db, "SELECT count(*) FROM ledger"));
        var usage = Usage(db);
        Assert.Equal(3, usage.Totals.Requests);
        Assert.Equal(1, usage.Totals.Failed);
        Assert.Equal(4_650, usage.Totals.CostMicros);
        Assert.Equal(2, usage.ByAgent["agent-1"].Requests); // the event without an agent is in no agent row
        Assert.Equal(2, usage.ByProvider["openai"].Requests);
        Assert.Equal(1, usage.ByProvider["anthropic"].Failed);
        Assert.Equal(500 + 0, usage.ByModel["gpt-4o"].CacheReadInputTokens);
        Assert.Equal(50, usage.ByModel["gpt-4o"].ReasoningTokens);
        Assert.Equal(3, usage.Totals.DurationSamples);
        Assert.Equal(2, usage.Totals.TimeToFirstTokenSamples);
    }

    [Fact]
    public async Task Rows_keep_every_field_so_the_outbox_sends_what_was_recorded()
    {
        using var db = LedgerDatabase.Open(File());
        using var writer = new LedgerWriter(db);
        var completed = Completed("x", Noon);
        var failed = Failed("y", Noon + 1, agent: "a2");
        await writer.WriteAsync([completed, failed], Delivery.Pending);
        await writer.WriteAsync([Completed("z", Noon + 2)], Delivery.Local); // recorded with sync off: not for the outbox

        using var reader = db.OpenReader();
        var page = LedgerReader.Pending(reader, 0, 10);

        Assert.Equal([completed, failed], page.Select(p => p.Event).ToArray()); // records compare by value
        Assert.Single(LedgerReader.Pending(reader, page[0].Seq, 10));
        Assert.Equal(2, LedgerReader.CountPending(reader));
        Assert.Equal(1, await writer.MarkAsync([("x", Delivery.Delivered), ("nope", Delivery.Rejected)]));
        Assert.Equal(1, LedgerReader.CountPending(reader));
        Assert.Equal(0, await writer.MarkAsync([("x", Delivery.Rejected)])); // only undelivered rows change
    }

    [Fact]
    public async Task Rollup_sums_saturate_at_the_ceiling_instead_of_wrapping_or_failing_the_query()
    {
        using var db = LedgerDatabase.Open(File());
        using var writer = new LedgerWriter(db);
        await writer.WriteAsync([Completed("big1", Noon, cost: long.MaxValue - 10)], Delivery.Local);
        await writer.WriteAsync([Completed("big2", Noon + 1, cost: 100)], Delivery.Local); // same hour: the upsert saturates
        await writer.WriteAsync([Completed("big3", Noon + LedgerSchema.HourMs, cost: long.MaxValue)], Delivery.Local); // next hour: the SUM overflows

        var usage = Usage(db, by: UsageBucketSize.Hour);

        Assert.Equal(long.MaxValue, usage.Buckets[0].Totals.CostMicros);
        Assert.Equal(long.MaxValue, usage.Totals.CostMicros);
        Assert.Equal(3, usage.Totals.Requests);
    }

    [Fact]
    public async Task Retention_deletes_settled_rows_past_the_cutoff_keeps_the_rollups_and_refuses_ids_it_can_no_longer_check()
    {
        using var db = LedgerDatabase.Open(File());
        using var writer = new LedgerWriter(db);
        var old = Noon - TimeSpan.FromDays(40).Ticks / TimeSpan.TicksPerMillisecond;
        await writer.WriteAsync([Completed("old-local", old)], Delivery.Local);
        await writer.WriteAsync([Completed("old-pending", old + 1)], Delivery.Pending);
        await writer.WriteAsync([Completed("new", Noon)], Delivery.Local);

        var deleted = await writer.DeleteExpiredAsync(Noon - TimeSpan.FromDays(30).Ticks / TimeSpan.TicksPerMillisecond, CancellationToken.None);

        Assert.Equal(1, deleted);
        Assert.Equal(2, Scalar(db, "SELECT count(*) FROM ledger")); // the undelivered old row stays until delivered
        Assert.Equal(3, Usage(db).Totals.Requests); // rollups are kept
        // Replaying the old events now: the deleted one is refused (it may have been counted), the kept one is a duplicate.
        var replay = await writer.WriteAsync([Completed("old-local", old), Completed("old-pending", old + 1), Completed("new", Noon)], Delivery.Local);
        Assert.Equal(new BatchWritten(0, 2, 1), replay);
        Assert.Equal(3, Usage(db).Totals.Requests);
    }

    [Fact]
    public async Task The_retention_horizon_survives_a_restart()
    {
        var path = File();
        var old = Noon - TimeSpan.FromDays(40).Ticks / TimeSpan.TicksPerMillisecond;
        using (var db = LedgerDatabase.Open(path))
        using (var writer = new LedgerWriter(db))
        {
            await writer.WriteAsync([Completed("old", old)], Delivery.Local);
            Assert.Equal(1, await writer.DeleteExpiredAsync(Noon, CancellationToken.None));
        }

        using var reopened = LedgerDatabase.Open(path);
        using var again = new LedgerWriter(reopened);
        Assert.Equal(new BatchWritten(0, 0, 1), await again.WriteAsync([Completed("old", old)], Delivery.Local));
        Assert.Equal(1, Usage(reopened).Totals.Requests);
    }

    [Fact]
    public void A_file_that_is_not_a_database_is_refused_with_its_path_and_reason()
    {
        var path = File("garbage.db");
        System.IO.File.WriteAllBytes(path, [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 31 % 251))]);

        var e = Assert.Throws<InvalidOperationException>(() => LedgerDatabase.Open(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("not a SQLite database", e.Message);
        Assert.Equal(4096, new FileInfo(path).Length); // left as it was, not replaced by an empty ledger
    }

    [Fact]
    public void A_database_of_another_application_is_refused_untouched()
    {
        var path = File("other.db");
        using (var other = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            other.Open();
            LedgerDatabase.Execute(other, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)");
        }

        var e = Assert.Throws<InvalidOperationException>(() => LedgerDatabase.Open(path));

        Assert.Contains("something else", e.Message);
        using var check = new SqliteConnection($"Data Source={path};Pooling=False");
        check.Open();
        Assert.Equal(1L, LedgerDatabase.Scalar(check, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"));
    }

    [Fact]
    public void A_ledger_written_by_a_newer_release_is_refused()
    {
        var path = File();
        LedgerDatabase.Open(path).Dispose();
        using (var c = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            c.Open();
            LedgerDatabase.Execute(c, $"UPDATE analytics_meta SET value = {LedgerSchema.Version + 1} WHERE key = 'schema_version'");
        }

        var e = Assert.Throws<InvalidOperationException>(() => LedgerDatabase.Open(path));
        Assert.Contains("newer release", e.Message);
    }

    [Fact]
    public void A_missing_folder_is_named()
    {
        var path = Path.Combine(_dir, "no-such-folder", "ledger.db");
        var e = Assert.Throws<InvalidOperationException>(() => LedgerDatabase.Open(path));
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public async Task A_counter_column_missing_from_an_older_file_is_added_at_open_as_zeros()
    {
        var path = File();
        using (var db = LedgerDatabase.Open(path))
        using (var writer = new LedgerWriter(db))
        {
            await writer.WriteAsync([Completed("a", Noon)], Delivery.Local);
        }
        // An older release without the reasoning counter: drop the column as if it never existed.
        using (var c = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            c.Open();
            LedgerDatabase.Execute(c, "ALTER TABLE rollup_model DROP COLUMN reasoning_tokens");
        }

        using var reopened = LedgerDatabase.Open(path);
        using var again = new LedgerWriter(reopened);
        await again.WriteAsync([Completed("b", Noon)], Delivery.Local);

        var usage = Usage(reopened);
        Assert.Equal(2, usage.ByModel["gpt-4o"].Requests);
        Assert.Equal(50, usage.ByModel["gpt-4o"].ReasoningTokens); // only the event written after the column came back
    }

    [Fact]
    public async Task A_file_from_before_the_latency_tables_is_read_without_percentiles_and_gets_them_for_what_is_written_after_it_opened()
    {
        var path = File();
        using (var db = LedgerDatabase.Open(path))
        using (var writer = new LedgerWriter(db))
        {
            await writer.WriteAsync([Completed("a", Noon) with { DurationMs = 5_000 }], Delivery.Local);
        }
        // An older release had no latency tables.
        using (var c = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            c.Open();
            LedgerDatabase.Execute(c, "DROP TABLE latency_hour; DROP TABLE latency_day");
        }

        // Only read (as the stats command reads): counters, no percentiles, no error.
        using (var reader = LedgerDatabase.OpenExistingReader(path))
        {
            var old = LedgerReader.Usage(reader, new UsageQueries.GetUsage(), DateTimeOffset.Parse("2026-12-01T00:00:00Z"));
            Assert.Equal(1, old.Totals.Requests);
            Assert.Null(old.Totals.DurationMsPercentiles);
            Assert.Null(old.ByModel["gpt-4o"].DurationMsPercentiles);
        }

        using var reopened = LedgerDatabase.Open(path);
        using var again = new LedgerWriter(reopened);
        await again.WriteAsync([Completed("b", Noon) with { DurationMs = 40 }], Delivery.Local);

        var usage = Usage(reopened);
        Assert.Equal(2, usage.Totals.Requests);
        Assert.Equal(40, usage.Totals.DurationMsPercentiles!.P99); // the event written before the tables has no latency stored
    }
}
