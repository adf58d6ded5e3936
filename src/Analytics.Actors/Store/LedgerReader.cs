using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Analytics.Actors.Percentiles;
using Analytics.Contracts;
using Microsoft.Data.Sqlite;

namespace Analytics.Actors.Store;

/// <summary>
/// Reads the ledger on a reader connection: the windowed usage query over the hourly rollups, pages of undelivered
/// events for the outbox, and counts.
/// </summary>
internal static class LedgerReader
{
    /// <summary>
    /// The usage of <c>[since, until)</c>, widened to whole UTC hours, from the rollups: the whole UTC days inside the
    /// window from the daily tables, the hours at its edges (and every hour, for hour buckets) from the hourly ones.
    /// Rows are added up here, saturating as <see cref="UsageCounters"/> does: bucket rows into the window's rows, and
    /// rows per model into totals, so the buckets add up to the window exactly. Latency percentiles come the same way from
    /// the latency tables' sketches, merged per key (and, for the totals, over the models), which is exact: a window's
    /// percentiles are those of its requests, within the sketch's 1 %.
    /// </summary>
    /// <param name="connection">A reader connection.</param>
    /// <param name="query">The window and bucket width.</param>
    /// <param name="now">Where a missing <c>Until</c> ends.</param>
    public static UsageHistory Usage(SqliteConnection connection, UsageQueries.GetUsage query, DateTimeOffset now)
    {
        var untilHour = CeilingHour((query.Until ?? now).ToUnixTimeMilliseconds());
        var sinceHour = query.Since is { } since
            ? LedgerSchema.HourOf(since.ToUnixTimeMilliseconds())
            : LedgerDatabase.Scalar(connection, "SELECT min(hour) FROM rollup_model") as long? ?? untilHour;
        sinceHour = Math.Min(sinceHour, untilHour);
        long width = query.By switch
        {
            UsageBucketSize.Hour => 1,
            UsageBucketSize.Day => 24,
            _ => 0, // one bucket: the window
        };

        // Whole days from the daily tables, unless hour buckets are wanted; the edges from the hourly ones.
        var firstDay = -LedgerSchema.DayOf(-sinceHour); // ceiling
        var endDay = LedgerSchema.DayOf(untilHour);
        var useDays = width != 1 && firstDay < endDay;

        using var tx = connection.BeginTransaction(deferred: true); // one snapshot for every table
        var dimensions = new Dictionary<long, Dictionary<string, UsageCounters>>[LedgerSchema.RollupTables.Length];
        var latencies = new Dictionary<long, Dictionary<LatencyRow, LatencySketch>>();
        var (hourly, hourBucket) = LedgerSchema.LatencyTables[0];
        var (daily, dayBucket) = LedgerSchema.LatencyTables[1];
        // A file written before the latency tables existed and only read since (the stats command does not migrate) has none.
        var sketchesStored = LedgerDatabase.Scalar(connection, $"SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('{hourly}', '{daily}')", tx) is 2L;
        if (sketchesStored && useDays)
        {
            ReadLatencies(latencies, connection, tx, hourly, hourBucket, sinceHour, firstDay * 24, 1, width);
            ReadLatencies(latencies, connection, tx, daily, dayBucket, firstDay, endDay, 24, width);
            ReadLatencies(latencies, connection, tx, hourly, hourBucket, endDay * 24, untilHour, 1, width);
        }
        else if (sketchesStored)
        {
            ReadLatencies(latencies, connection, tx, hourly, hourBucket, sinceHour, untilHour, 1, width);
        }
        for (var t = 0; t < dimensions.Length; t++)
        {
            var rows = dimensions[t] = [];
            if (useDays)
            {
                Read(rows, connection, tx, LedgerSchema.RollupTables[t], "hour", sinceHour, firstDay * 24, 1, width);
                Read(rows, connection, tx, LedgerSchema.DailyRollupTables[t], "day", firstDay, endDay, 24, width);
                Read(rows, connection, tx, LedgerSchema.RollupTables[t], "hour", endDay * 24, untilHour, 1, width);
            }
            else
            {
                Read(rows, connection, tx, LedgerSchema.RollupTables[t], "hour", sinceHour, untilHour, 1, width);
            }
        }
        tx.Commit();

        var buckets = ImmutableArray.CreateBuilder<UsageBucket>();
        var window = new[] { new Dictionary<string, UsageCounters>(), new Dictionary<string, UsageCounters>(), new Dictionary<string, UsageCounters>() };
        var windowLatencies = new Dictionary<LatencyRow, LatencySketch>();
        var totals = default(UsageCounters);
        foreach (var b in dimensions[0].Keys.Order())
        {
            var bucketTotals = default(UsageCounters);
            foreach (var counters in dimensions[0][b].Values) bucketTotals.Add(counters);
            totals.Add(bucketTotals);
            for (var t = 0; t < window.Length; t++)
            {
                if (!dimensions[t].TryGetValue(b, out var rows)) continue;
                foreach (var (key, counters) in rows) AddTo(window[t], key, counters);
            }
            var bucketLatencies = latencies.GetValueOrDefault(b);
            if (bucketLatencies is not null)
            {
                foreach (var (row, sketch) in bucketLatencies) MergeInto(windowLatencies, row, sketch);
            }
            if (width > 0)
            {
                buckets.Add(new UsageBucket
                {
                    Start = DateTimeOffset.FromUnixTimeMilliseconds(b * width * LedgerSchema.HourMs),
                    Totals = Row(bucketTotals, bucketLatencies),
                    ByModel = Rows(dimensions[0][b], bucketLatencies, LatencyDimension.Model),
                    ByProvider = Rows(dimensions[1].GetValueOrDefault(b), bucketLatencies, LatencyDimension.Provider),
                    ByAgent = Rows(dimensions[2].GetValueOrDefault(b), bucketLatencies, LatencyDimension.Agent),
                });
            }
        }

        return new UsageHistory
        {
            Since = DateTimeOffset.FromUnixTimeMilliseconds(sinceHour * LedgerSchema.HourMs),
            Until = DateTimeOffset.FromUnixTimeMilliseconds(untilHour * LedgerSchema.HourMs),
            BucketSize = query.By,
            Totals = Row(totals, windowLatencies),
            ByModel = Rows(window[0], windowLatencies, LatencyDimension.Model),
            ByProvider = Rows(window[1], windowLatencies, LatencyDimension.Provider),
            ByAgent = Rows(window[2], windowLatencies, LatencyDimension.Agent),
            Buckets = buckets.ToImmutable(),
        };
    }

    /// <summary>Up to <paramref name="limit"/> undelivered events after <paramref name="afterSeq"/>, in insertion order.</summary>
    public static List<(long Seq, AnalyticsEvent Event)> Pending(SqliteConnection connection, long afterSeq, int limit)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT seq, {LedgerSchema.SelectEventColumns} FROM ledger WHERE delivery = 1 AND seq > $after ORDER BY seq LIMIT $limit";
        cmd.Parameters.AddWithValue("$after", afterSeq);
        cmd.Parameters.AddWithValue("$limit", limit);
        using var r = cmd.ExecuteReader();
        var page = new List<(long, AnalyticsEvent)>();
        while (r.Read()) page.Add((r.GetInt64(0), ToEvent(r)));
        return page;
    }

    /// <summary>Rows waiting for delivery.</summary>
    public static long CountPending(SqliteConnection connection)
        => LedgerDatabase.Scalar(connection, "SELECT count(*) FROM ledger WHERE delivery = 1") as long? ?? 0;

    /// <summary>Rows in the ledger.</summary>
    public static long Count(SqliteConnection connection)
        => LedgerDatabase.Scalar(connection, "SELECT count(*) FROM ledger") as long? ?? 0;

    /// <summary>The event a ledger row stands for; columns after <c>seq</c> as in <see cref="LedgerSchema.SelectEventColumns"/>.</summary>
    private static AnalyticsEvent ToEvent(SqliteDataReader r)
    {
        var id = r.GetString(1);
        var timestamp = r.GetInt64(2);
        var agent = NullableText(r, 7);
        if (r.GetInt64(3) != 0)
        {
            return new LlmRequestFailed
            {
                EventId = id, TimestampMs = timestamp, AgentId = agent, Model = r.GetString(4), Provider = r.GetString(5), ProviderId = NullableText(r, 6),
                DurationMs = NullableInt(r, 15), ErrorCode = NullableText(r, 17), ErrorMessage = NullableText(r, 18),
            };
        }
        return new LlmRequestCompleted
        {
            EventId = id, TimestampMs = timestamp, AgentId = agent, Model = r.GetString(4), Provider = r.GetString(5), ProviderId = NullableText(r, 6),
            InputTokens = r.GetInt64(8), OutputTokens = r.GetInt64(9), CacheReadInputTokens = r.GetInt64(10), CacheCreationInputTokens = r.GetInt64(11),
            ReasoningTokens = r.GetInt64(12), CostMicros = r.GetInt64(13), Unpriced = r.GetInt64(14) != 0,
            DurationMs = NullableInt(r, 15), TimeToFirstTokenMs = NullableInt(r, 16),
        };
    }

    /// <summary>
    /// Adds the rows of <paramref name="table"/> with <c>from &lt;= bucket &lt; to</c> into <paramref name="result"/>, keyed by
    /// the query's bucket: a table bucket covers <paramref name="hoursPerRow"/> hours and a query bucket
    /// <paramref name="width"/> (0: one bucket for the window).
    /// </summary>
    private static void Read(Dictionary<long, Dictionary<string, UsageCounters>> result, SqliteConnection connection, SqliteTransaction tx,
        string table, string bucket, long from, long to, long hoursPerRow, long width)
    {
        if (from >= to) return;
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"SELECT {bucket}, key, {string.Join(", ", LedgerSchema.CounterColumns())} FROM {table} WHERE {bucket} >= $from AND {bucket} < $to";
        cmd.Parameters.AddWithValue("$from", from);
        cmd.Parameters.AddWithValue("$to", to);
        using var r = cmd.ExecuteReader();
        Dictionary<string, UsageCounters>? rows = null;
        var current = long.MinValue;
        while (r.Read())
        {
            var counters = default(UsageCounters);
            foreach (var counter in UsageCounters.All) counters[counter] = r.GetInt64(2 + (int)counter);
            var startHour = r.GetInt64(0) * hoursPerRow;
            var b = width == 0 ? 0 : width == 1 ? startHour : LedgerSchema.DayOf(startHour);
            if (rows is null || b != current)
            {
                if (!result.TryGetValue(b, out rows)) result[b] = rows = [];
                current = b;
            }
            AddTo(rows, r.GetString(1), counters);
        }
    }

    private static void AddTo(Dictionary<string, UsageCounters> rows, string key, in UsageCounters counters)
    {
        rows.TryGetValue(key, out var sum);
        sum.Add(counters);
        rows[key] = sum;
    }

    /// <summary>
    /// Adds the sketches of latency table <paramref name="table"/> with <c>from &lt;= bucket &lt; to</c> into
    /// <paramref name="result"/>, by query bucket as <see cref="Read"/> does (the rows' own bucket set to 0).
    /// </summary>
    private static void ReadLatencies(Dictionary<long, Dictionary<LatencyRow, LatencySketch>> result, SqliteConnection connection, SqliteTransaction tx,
        string table, string bucket, long from, long to, long hoursPerRow, long width)
    {
        if (from >= to) return;
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"SELECT {bucket}, dimension, key, metric, sketch FROM {table} WHERE {bucket} >= $from AND {bucket} < $to";
        cmd.Parameters.AddWithValue("$from", from);
        cmd.Parameters.AddWithValue("$to", to);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var startHour = r.GetInt64(0) * hoursPerRow;
            var b = width == 0 ? 0 : width == 1 ? startHour : LedgerSchema.DayOf(startHour);
            var row = new LatencyRow(0, (LatencyDimension)r.GetInt64(1), r.GetString(2), (LatencyMetric)r.GetInt64(3));
            LatencySketch sketch;
            try
            {
                sketch = LatencySketch.FromBytes((byte[])r.GetValue(4));
            }
            catch (InvalidDataException)
            {
                // Only a file edited by hand holds one. As the writer does, leave it out rather than fail the window:
                // the counters are unaffected, that key's percentiles lack that bucket, and its next write replaces it.
                continue;
            }
            if (!result.TryGetValue(b, out var rows)) result[b] = rows = [];
            MergeInto(rows, row, sketch);
        }
    }

    private static void MergeInto(Dictionary<LatencyRow, LatencySketch> sketches, LatencyRow row, LatencySketch sketch)
    {
        ref var sum = ref CollectionsMarshal.GetValueRefOrAddDefault(sketches, row, out _);
        sum ??= new LatencySketch();
        sum.Merge(sketch);
    }

    /// <summary>The totals' row: its latencies are those of every model's requests (each request has exactly one model).</summary>
    private static UsageRow Row(in UsageCounters counters, Dictionary<LatencyRow, LatencySketch>? latencies)
    {
        if (latencies is null) return new UsageRow(counters);
        LatencySketch? durations = null, ttfts = null;
        foreach (var (row, sketch) in latencies)
        {
            if (row.Dimension != LatencyDimension.Model) continue;
            ref var sum = ref row.Metric == LatencyMetric.Duration ? ref durations : ref ttfts;
            sum ??= new LatencySketch();
            sum.Merge(sketch);
        }
        return new UsageRow(counters) { DurationMsPercentiles = durations?.Percentiles(), TimeToFirstTokenMsPercentiles = ttfts?.Percentiles() };
    }

    private static ImmutableDictionary<string, UsageRow> Rows(Dictionary<string, UsageCounters>? rows, Dictionary<LatencyRow, LatencySketch>? latencies, LatencyDimension dimension)
    {
        if (rows is null) return ImmutableDictionary<string, UsageRow>.Empty;
        var builder = ImmutableDictionary.CreateBuilder<string, UsageRow>(StringComparer.Ordinal);
        foreach (var (key, counters) in rows)
        {
            builder[key] = new UsageRow(counters)
            {
                DurationMsPercentiles = Percentiles(latencies, new LatencyRow(0, dimension, key, LatencyMetric.Duration)),
                TimeToFirstTokenMsPercentiles = Percentiles(latencies, new LatencyRow(0, dimension, key, LatencyMetric.TimeToFirstToken)),
            };
        }
        return builder.ToImmutable();
    }

    private static LatencyPercentiles? Percentiles(Dictionary<LatencyRow, LatencySketch>? latencies, LatencyRow row)
        => latencies is not null && latencies.TryGetValue(row, out var sketch) ? sketch.Percentiles() : null;

    private static long CeilingHour(long ms)
    {
        var h = LedgerSchema.HourOf(ms);
        return h * LedgerSchema.HourMs == ms ? h : h + 1;
    }

    private static string? NullableText(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static long? NullableInt(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
}
