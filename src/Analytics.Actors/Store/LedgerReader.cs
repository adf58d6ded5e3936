using System.Collections.Immutable;
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
    /// The usage of <c>[since, until)</c>, widened to whole UTC hours, from the rollups. Sums are taken by SQLite per
    /// bucket and key; if one overflows (SQLite refuses an integer overflow) the rows are summed here instead, saturating
    /// as <see cref="UsageCounters"/> does. Bucket rows are then added up into the window's rows, and rows per model into
    /// totals, so buckets add up to the window exactly.
    /// </summary>
    /// <param name="connection">A reader connection.</param>
    /// <param name="query">The window and bucket width.</param>
    /// <param name="now">Where a missing <c>Until</c> ends.</param>
    public static UsageHistory Usage(SqliteConnection connection, UsageQueries.GetUsage query, DateTimeOffset now)
    {
        var untilHour = CeilingHour((query.Until ?? now).ToUnixTimeMilliseconds());
        var sinceHour = query.Since is { } since
            ? FloorHour(since.ToUnixTimeMilliseconds())
            : LedgerDatabase.Scalar(connection, "SELECT min(hour) FROM rollup_model") as long? ?? untilHour;
        sinceHour = Math.Min(sinceHour, untilHour);
        long width = query.By switch
        {
            UsageBucketSize.Hour => 1,
            UsageBucketSize.Day => 24,
            _ => 0, // one bucket: the window
        };

        using var tx = connection.BeginTransaction(deferred: true); // one snapshot for the three tables
        var dimensions = new Dictionary<long, Dictionary<string, UsageCounters>>[LedgerSchema.RollupTables.Length];
        for (var t = 0; t < dimensions.Length; t++) dimensions[t] = Sums(connection, tx, LedgerSchema.RollupTables[t], sinceHour, untilHour, width);
        tx.Commit();

        var buckets = ImmutableArray.CreateBuilder<UsageBucket>();
        var window = new[] { new Dictionary<string, UsageCounters>(), new Dictionary<string, UsageCounters>(), new Dictionary<string, UsageCounters>() };
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
            if (width > 0)
            {
                buckets.Add(new UsageBucket
                {
                    Start = DateTimeOffset.FromUnixTimeMilliseconds(b * width * LedgerSchema.HourMs),
                    Totals = new UsageRow(bucketTotals),
                    ByModel = Rows(dimensions[0][b]),
                    ByProvider = Rows(dimensions[1].GetValueOrDefault(b)),
                    ByAgent = Rows(dimensions[2].GetValueOrDefault(b)),
                });
            }
        }

        return new UsageHistory
        {
            Since = DateTimeOffset.FromUnixTimeMilliseconds(sinceHour * LedgerSchema.HourMs),
            Until = DateTimeOffset.FromUnixTimeMilliseconds(untilHour * LedgerSchema.HourMs),
            BucketSize = query.By,
            Totals = new UsageRow(totals),
            ByModel = Rows(window[0]),
            ByProvider = Rows(window[1]),
            ByAgent = Rows(window[2]),
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

    private static Dictionary<long, Dictionary<string, UsageCounters>> Sums(SqliteConnection connection, SqliteTransaction tx, string table, long sinceHour, long untilHour, long width)
    {
        var columns = LedgerSchema.CounterColumns();
        var bucket = width > 0 ? "hour / $width" : "0";
        try
        {
            return Read(connection, tx, $"SELECT {bucket} AS b, key, {string.Join(", ", columns.Select(c => $"sum({c})"))} FROM {table} " +
                                        "WHERE hour >= $since AND hour < $until GROUP BY b, key", sinceHour, untilHour, width);
        }
        catch (SqliteException e) when (e.Message.Contains("integer overflow", StringComparison.OrdinalIgnoreCase))
        {
            // A sum past long.MaxValue: add the hourly rows here, saturating, instead of failing the query.
            return Read(connection, tx, $"SELECT {bucket} AS b, key, {string.Join(", ", columns)} FROM {table} " +
                                        "WHERE hour >= $since AND hour < $until", sinceHour, untilHour, width);
        }
    }

    private static Dictionary<long, Dictionary<string, UsageCounters>> Read(SqliteConnection connection, SqliteTransaction tx, string sql, long sinceHour, long untilHour, long width)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("$since", sinceHour);
        cmd.Parameters.AddWithValue("$until", untilHour);
        cmd.Parameters.AddWithValue("$width", Math.Max(width, 1));
        using var r = cmd.ExecuteReader();
        var result = new Dictionary<long, Dictionary<string, UsageCounters>>();
        while (r.Read())
        {
            var counters = default(UsageCounters);
            foreach (var counter in UsageCounters.All) counters[counter] = r.GetInt64(2 + (int)counter);
            var b = r.GetInt64(0);
            if (!result.TryGetValue(b, out var rows)) result[b] = rows = [];
            AddTo(rows, r.GetString(1), counters);
        }
        return result;
    }

    private static void AddTo(Dictionary<string, UsageCounters> rows, string key, in UsageCounters counters)
    {
        rows.TryGetValue(key, out var sum);
        sum.Add(counters);
        rows[key] = sum;
    }

    private static ImmutableDictionary<string, UsageRow> Rows(Dictionary<string, UsageCounters>? rows)
    {
        if (rows is null) return ImmutableDictionary<string, UsageRow>.Empty;
        var builder = ImmutableDictionary.CreateBuilder<string, UsageRow>(StringComparer.Ordinal);
        foreach (var (key, counters) in rows) builder[key] = new UsageRow(counters);
        return builder.ToImmutable();
    }

    private static long FloorHour(long ms) => LedgerSchema.HourOf(ms);

    private static long CeilingHour(long ms)
    {
        var h = FloorHour(ms);
        return h * LedgerSchema.HourMs == ms ? h : h + 1;
    }

    private static string? NullableText(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static long? NullableInt(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
}
