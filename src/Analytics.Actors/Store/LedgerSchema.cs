using System.Text;
using Analytics.Contracts;

namespace Analytics.Actors.Store;

/// <summary>Where a ledger row stands with sync. Stored as an integer: values are never renumbered.</summary>
internal enum Delivery
{
    /// <summary>Recorded while sync was off: nothing to deliver.</summary>
    Local = 0,

    /// <summary>Waiting for delivery (the outbox).</summary>
    Pending = 1,

    /// <summary>The server acknowledged it (202 accepted or 200 duplicate).</summary>
    Delivered = 2,

    /// <summary>The server refused it permanently (4xx); it stays in the dead-letter file.</summary>
    Rejected = 3,
}

/// <summary>
/// The ledger's tables. The ledger holds one row per LLM event, keyed by its event id (the identity across processes
/// and retries); <c>seq</c> is only this file's insertion order, used to page through undelivered rows and to delete
/// old ones in ranges. The rollups hold one row per UTC hour and key, with one column per <see cref="UsageCounter"/>,
/// generated from <see cref="UsageCounters.All"/> so that a new counter becomes a new column (added to existing files
/// at open).
/// </summary>
internal static class LedgerSchema
{
    /// <summary>
    /// The version this code writes; a file with a higher one was written by a newer release. 2 added the latency tables:
    /// a release that knows only 1 refuses such a file rather than add requests to it whose latencies it would not store.
    /// </summary>
    public const long Version = 2;

    /// <summary>The marker table: a file without it but with other tables belongs to someone else.</summary>
    public const string MetaTable = "analytics_meta";

    /// <summary>Meta key of the schema version.</summary>
    public const string VersionKey = "schema_version";

    /// <summary>
    /// Meta key of the retention horizon: the event time below which retention may have deleted rows, so an event that
    /// old and not in the ledger can no longer be told apart from one already counted.
    /// </summary>
    public const string HorizonKey = "retention_horizon_ms";

    /// <summary>Milliseconds per rollup bucket.</summary>
    public const long HourMs = 3_600_000;

    /// <summary>The UTC hour (since the Unix epoch) a timestamp falls in, rounding down for times before 1970 too.</summary>
    public static long HourOf(long timestampMs)
    {
        var (hour, rest) = Math.DivRem(timestampMs, HourMs);
        return rest < 0 ? hour - 1 : hour;
    }

    /// <summary>The ledger's columns in insert order (everything but <c>seq</c>).</summary>
    public static readonly string[] LedgerColumns =
    [
        "event_id", "timestamp_ms", "failed", "model", "provider", "provider_id", "agent_id",
        "input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens", "reasoning_tokens",
        "cost_micros", "unpriced", "duration_ms", "time_to_first_token_ms", "error_code", "error_message", "delivery",
    ];

    /// <summary>The hourly rollup tables, one per breakdown, in the order model, provider, agent (bucket column <c>hour</c>).</summary>
    public static readonly string[] RollupTables = ["rollup_model", "rollup_provider", "rollup_agent"];

    /// <summary>
    /// The daily rollup tables, in the same order (bucket column <c>day</c>): the sums of the hourly rows of each UTC day,
    /// written in the same transaction, so a month is read as 30 rows per key instead of 720.
    /// </summary>
    public static readonly string[] DailyRollupTables = ["rollup_model_day", "rollup_provider_day", "rollup_agent_day"];

    /// <summary>
    /// The latency tables with their bucket column, hourly then daily: per bucket, breakdown (<see cref="LatencyDimension"/>),
    /// key and metric (<see cref="LatencyMetric"/>), the bytes of one latency sketch, merged with each batch in the batch's
    /// transaction, so windowed usage has percentiles as exact to merge as the live ones.
    /// </summary>
    public static readonly (string Table, string Bucket)[] LatencyTables = [("latency_hour", "hour"), ("latency_day", "day")];

    /// <summary>Every rollup table with its bucket column.</summary>
    public static IEnumerable<(string Table, string Bucket)> AllRollups =>
        RollupTables.Select(t => (t, "hour")).Concat(DailyRollupTables.Select(t => (t, "day")));

    /// <summary>The UTC day (since the Unix epoch) an hour falls in.</summary>
    public static long DayOf(long hour)
    {
        var (day, rest) = Math.DivRem(hour, 24);
        return rest < 0 ? day - 1 : day;
    }

    /// <summary>The rollup counter columns, in <see cref="UsageCounters.All"/> order.</summary>
    public static string[] CounterColumns()
    {
        var names = new string[UsageCounters.Count];
        foreach (var counter in UsageCounters.All) names[(int)counter] = UsageCounters.Name(counter);
        return names;
    }

    /// <summary>Statements creating whatever is missing (idempotent).</summary>
    public static IEnumerable<string> Create()
    {
        yield return $"CREATE TABLE IF NOT EXISTS {MetaTable} (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID";
        yield return """
            CREATE TABLE IF NOT EXISTS ledger (
              seq INTEGER PRIMARY KEY,
              event_id TEXT NOT NULL UNIQUE,
              timestamp_ms INTEGER NOT NULL,
              failed INTEGER NOT NULL,
              model TEXT NOT NULL,
              provider TEXT NOT NULL,
              provider_id TEXT,
              agent_id TEXT,
              input_tokens INTEGER NOT NULL,
              output_tokens INTEGER NOT NULL,
              cache_read_input_tokens INTEGER NOT NULL,
              cache_creation_input_tokens INTEGER NOT NULL,
              reasoning_tokens INTEGER NOT NULL,
              cost_micros INTEGER NOT NULL,
              unpriced INTEGER NOT NULL,
              duration_ms INTEGER,
              time_to_first_token_ms INTEGER,
              error_code TEXT,
              error_message TEXT,
              delivery INTEGER NOT NULL)
            """;
        // Only undelivered rows are in it, so the outbox pages through them without scanning delivered history.
        yield return "CREATE INDEX IF NOT EXISTS ledger_pending ON ledger (seq) WHERE delivery = 1";
        foreach (var (table, bucket) in AllRollups)
        {
            var sql = new StringBuilder($"CREATE TABLE IF NOT EXISTS {table} ({bucket} INTEGER NOT NULL, key TEXT NOT NULL");
            foreach (var column in CounterColumns()) sql.Append(", ").Append(column).Append(" INTEGER NOT NULL DEFAULT 0");
            yield return sql.Append($", PRIMARY KEY ({bucket}, key)) WITHOUT ROWID").ToString();
        }
        // Added after the first release: a file written before has no latencies for the requests it held then, so a
        // window reaching back before the upgrade has percentiles of the later requests only (none when it has none).
        foreach (var (table, bucket) in LatencyTables)
        {
            yield return $"CREATE TABLE IF NOT EXISTS {table} ({bucket} INTEGER NOT NULL, dimension INTEGER NOT NULL, key TEXT NOT NULL, " +
                         $"metric INTEGER NOT NULL, sketch BLOB NOT NULL, PRIMARY KEY ({bucket}, dimension, key, metric)) WITHOUT ROWID";
        }
    }

    /// <summary>The stored sketch of one latency row, if any.</summary>
    public static string SelectLatency(string table, string bucket) =>
        $"SELECT sketch FROM {table} WHERE {bucket} = ? AND dimension = ? AND key = ? AND metric = ?";

    /// <summary>Writes one latency row's sketch (the merged one).</summary>
    public static string UpsertLatency(string table, string bucket) =>
        $"INSERT INTO {table} ({bucket}, dimension, key, metric, sketch) VALUES (?, ?, ?, ?, ?) " +
        $"ON CONFLICT ({bucket}, dimension, key, metric) DO UPDATE SET sketch = excluded.sketch";

    /// <summary>The insert of one ledger row; ignored when the event id is already there.</summary>
    public static string InsertLedger() =>
        $"INSERT OR IGNORE INTO ledger ({string.Join(", ", LedgerColumns)}) VALUES ({string.Join(", ", LedgerColumns.Select(_ => "?"))})";

    /// <summary>
    /// Adds one bucket's counters of one key to a rollup table. Counters are never negative, so the sum saturates at the
    /// ceiling exactly as <see cref="UsageCounters"/> does (SQLite would otherwise turn an overflowing sum into a float).
    /// </summary>
    public static string UpsertRollup(string table, string bucket)
    {
        var columns = CounterColumns();
        var sql = new StringBuilder($"INSERT INTO {table} ({bucket}, key, {string.Join(", ", columns)}) VALUES (?, ?");
        foreach (var _ in columns) sql.Append(", ?");
        sql.Append($") ON CONFLICT ({bucket}, key) DO UPDATE SET ");
        for (var i = 0; i < columns.Length; i++)
        {
            var c = columns[i];
            if (i > 0) sql.Append(", ");
            sql.Append(c).Append(" = CASE WHEN ").Append(c).Append(" > 9223372036854775807 - excluded.").Append(c)
               .Append(" THEN 9223372036854775807 ELSE ").Append(c).Append(" + excluded.").Append(c).Append(" END");
        }
        return sql.ToString();
    }

    /// <summary>The ledger columns an outbox page reads, in the order <see cref="LedgerReader"/> expects.</summary>
    public static string SelectEventColumns => string.Join(", ", LedgerColumns.Take(LedgerColumns.Length - 1));
}

/// <summary>The breakdown of a stored latency row. Stored as an integer: values are never renumbered.</summary>
internal enum LatencyDimension
{
    /// <summary>Per model.</summary>
    Model = 0,

    /// <summary>Per provider.</summary>
    Provider = 1,

    /// <summary>Per agent.</summary>
    Agent = 2,
}

/// <summary>Which latency a stored row holds. Stored as an integer: values are never renumbered.</summary>
internal enum LatencyMetric
{
    /// <summary>Wall time of the request (failed ones too).</summary>
    Duration = 0,

    /// <summary>Time to first token (completed requests that carried one).</summary>
    TimeToFirstToken = 1,
}
