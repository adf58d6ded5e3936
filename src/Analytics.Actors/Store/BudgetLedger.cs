using Analytics.Actors.Budgets;
using Analytics.Contracts;
using Microsoft.Data.Sqlite;

namespace Analytics.Actors.Store;

/// <summary>
/// What the budgets keep in the ledger file, apart from the ledger's own tables: the table of threshold crossings
/// (<c>budget_crossings</c>, one row per budget, definition, window and threshold), and what a restart resumes from:
/// the crossings already recorded, the spend of each budget's window in progress (read from the ledger's rollups with
/// <see cref="LedgerReader.Usage"/>), and whether an event id was stored before the start. It never writes the ledger's
/// tables; a file without the table gets it at start (older releases ignore it).
/// </summary>
internal sealed class BudgetLedger : IDisposable
{
    /// <summary>The table of crossings.</summary>
    public const string Table = "budget_crossings";

    private readonly LedgerDatabase _db;
    private readonly object _gate = new();
    private SqliteConnection? _lookup;
    private SqliteCommand? _stored;
    private long _startSeq;

    private BudgetLedger(LedgerDatabase db) => _db = db;

    /// <summary>Creates the crossings table when the file lacks it.</summary>
    public static BudgetLedger Open(LedgerDatabase db)
    {
        db.WriteAsync(connection =>
        {
            LedgerDatabase.Execute(connection, $"""
                CREATE TABLE IF NOT EXISTS {Table} (
                  budget TEXT NOT NULL COLLATE NOCASE,
                  signature TEXT NOT NULL,
                  window_start_ms INTEGER NOT NULL,
                  threshold_percent INTEGER NOT NULL,
                  spent_micros INTEGER NOT NULL,
                  limit_micros INTEGER NOT NULL,
                  event_id TEXT NOT NULL,
                  recorded_ms INTEGER NOT NULL,
                  PRIMARY KEY (budget, signature, window_start_ms, threshold_percent)) WITHOUT ROWID
                """);
            return 0;
        }).GetAwaiter().GetResult();
        return new BudgetLedger(db);
    }

    /// <summary>
    /// What the evaluator resumes from at <paramref name="nowMs"/>: the crossings of the budgets' current definitions,
    /// the spend of each budget's window in progress, and the ledger's last sequence number, which tells the events
    /// stored before the start from those this process stores. Read before the pump starts, so nothing of this
    /// process is in the ledger yet.
    /// </summary>
    /// <param name="budgets">The budgets.</param>
    /// <param name="nowMs">Now (Unix ms).</param>
    /// <param name="checkWindow">How long after <paramref name="nowMs"/> an event's timestamp may still be one the ledger held (clock skew).</param>
    public BudgetResume Resume(IReadOnlyList<BudgetDefinition> budgets, long nowMs, TimeSpan checkWindow)
    {
        using var reader = _db.OpenReader();
        _startSeq = LedgerDatabase.Scalar(reader, "SELECT coalesce(max(seq), 0) FROM ledger") as long? ?? 0;

        var byName = budgets.ToDictionary(b => b.Name, StringComparer.OrdinalIgnoreCase);
        var crossed = new Dictionary<(string, long), IReadOnlyList<int>>();
        using (var cmd = reader.CreateCommand())
        {
            cmd.CommandText = $"SELECT budget, signature, window_start_ms, threshold_percent FROM {Table}";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                if (!byName.TryGetValue(r.GetString(0), out var def) || def.Signature != r.GetString(1)) continue;
                var key = (def.Name, r.GetInt64(2));
                var list = crossed.TryGetValue(key, out var existing) ? (List<int>)existing : [];
                list.Add((int)r.GetInt64(3));
                crossed[key] = list;
            }
        }

        var spent = new Dictionary<string, (long, long)>(StringComparer.OrdinalIgnoreCase);
        var now = DateTimeOffset.FromUnixTimeMilliseconds(nowMs);
        foreach (var group in budgets.GroupBy(b => b.Window))
        {
            var start = BudgetWindows.Start(group.Key, nowMs);
            var end = BudgetWindows.End(group.Key, start);
            var usage = LedgerReader.Usage(reader, new UsageQueries.GetUsage(BudgetWindows.ToDate(start), BudgetWindows.ToDate(end)), now);
            foreach (var def in group)
            {
                var rows = def.Scope switch
                {
                    BudgetScope.Agent => usage.ByAgent,
                    BudgetScope.Model => usage.ByModel,
                    _ => usage.ByProvider,
                };
                var cost = def.CountsEverything ? usage.Totals.CostMicros : rows.TryGetValue(def.Value, out var row) ? row.CostMicros : 0;
                if (cost > 0) spent[def.Name] = (start, cost);
            }
        }
        return new BudgetResume(crossed, spent, StoredAtStart, nowMs + (long)checkWindow.TotalMilliseconds);
    }

    /// <summary>
    /// True when the ledger held <paramref name="eventId"/> at start. Evaluator thread only (one query at a time on one
    /// reader connection). A ledger row deleted by retention since is not found: such an event counts again.
    /// </summary>
    public bool StoredAtStart(string eventId)
    {
        lock (_gate)
        {
            if (_stored is null)
            {
                _lookup = _db.OpenReader();
                _stored = _lookup.CreateCommand();
                _stored.CommandText = "SELECT seq FROM ledger WHERE event_id = $id";
                _stored.Parameters.Add("$id", SqliteType.Text);
                _stored.Prepare();
            }
            _stored.Parameters[0].Value = eventId;
            return _stored.ExecuteScalar() is long seq && seq <= _startSeq;
        }
    }

    /// <summary>Stores crossings (an existing row for the same budget, definition, window and threshold is kept).</summary>
    public Task SaveAsync(IReadOnlyList<BudgetCrossing> crossings) => _db.WriteAsync(connection =>
    {
        using var tx = connection.BeginTransaction();
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"INSERT OR IGNORE INTO {Table} (budget, signature, window_start_ms, threshold_percent, spent_micros, limit_micros, event_id, recorded_ms) " +
                          "VALUES ($budget, $signature, $start, $threshold, $spent, $limit, $id, $at)";
        var budget = cmd.Parameters.Add("$budget", SqliteType.Text);
        var signature = cmd.Parameters.Add("$signature", SqliteType.Text);
        var start = cmd.Parameters.Add("$start", SqliteType.Integer);
        var threshold = cmd.Parameters.Add("$threshold", SqliteType.Integer);
        var spent = cmd.Parameters.Add("$spent", SqliteType.Integer);
        var limit = cmd.Parameters.Add("$limit", SqliteType.Integer);
        var id = cmd.Parameters.Add("$id", SqliteType.Text);
        var at = cmd.Parameters.Add("$at", SqliteType.Integer);
        foreach (var c in crossings)
        {
            budget.Value = c.Budget.Name;
            signature.Value = c.Budget.Signature;
            start.Value = c.WindowStartMs;
            threshold.Value = c.ThresholdPercent;
            spent.Value = c.SpentMicros;
            limit.Value = c.Budget.LimitMicros;
            id.Value = c.EventId;
            at.Value = c.AtMs;
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
        return crossings.Count;
    });

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _stored?.Dispose();
            _lookup?.Dispose();
            _stored = null;
            _lookup = null;
        }
    }
}
