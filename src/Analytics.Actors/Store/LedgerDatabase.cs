using System.Globalization;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Analytics.Actors.Store;

/// <summary>
/// One ledger file: the single writer connection (WAL, so readers never block it and it never blocks them), a gate
/// that serialises everything done on it (batch commits, delivery marks, retention), and pooled reader connections.
/// Opening checks that the file is a writable ledger (or new) and brings its schema up to date; any problem is an
/// <see cref="InvalidOperationException"/> naming the file and the reason, never a silently empty store.
/// </summary>
internal sealed class LedgerDatabase : IDisposable
{
    /// <summary>How long a statement waits for another process's lock before failing (the batch is then retried).</summary>
    private const int BusyTimeoutMs = 1_000;

    private readonly SqliteConnection _writer;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _readers;
    private bool _disposed;

    private LedgerDatabase(string path, SqliteConnection writer, long horizonMs)
    {
        Path = path;
        _writer = writer;
        HorizonMs = horizonMs;
        _readers = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = true }.ToString();
    }

    /// <summary>The absolute path of the file.</summary>
    public string Path { get; }

    /// <summary>The retention horizon (see <see cref="LedgerSchema.HorizonKey"/>); read and written under the gate only.</summary>
    public long HorizonMs { get; set; }

    /// <summary>Opens (creating when missing) the ledger at <paramref name="path"/> for writing.</summary>
    /// <exception cref="InvalidOperationException">The file cannot be used; the message names it and says why.</exception>
    public static LedgerDatabase Open(string path)
    {
        var folder = System.IO.Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(folder) && !Directory.Exists(folder)) throw Unusable(path, $"its folder '{folder}' does not exist");
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false, // held for the life of the store; a pooled handle would outlive Dispose
        }.ToString());
        try
        {
            connection.Open();
            if (raw.sqlite3_db_readonly(connection.Handle, "main") == 1) throw Unusable(path, "the file is read-only (the ledger needs to write it)");
            var mode = Scalar(connection, "PRAGMA journal_mode = WAL");
            if (!string.Equals(mode as string, "wal", StringComparison.OrdinalIgnoreCase))
                throw Unusable(path, $"SQLite could not switch it to WAL journaling (journal_mode is {mode})");
            // NORMAL in WAL: a commit survives a process crash (kill -9); only an OS crash or power loss can lose the
            // last commits. 64 MB of page cache and 10,000-page checkpoints keep large batches off the disk's critical path.
            Execute(connection, $"PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = {BusyTimeoutMs}; PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 10000");
            var horizon = Migrate(connection, path);
            return new LedgerDatabase(path, connection, horizon);
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw Unusable(path, Reason(e), e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="work"/> on the writer connection, alone, on a pool thread (never on the caller's).</summary>
    public Task<T> WriteAsync<T>(Func<SqliteConnection, T> work, CancellationToken cancellationToken = default) => Task.Run(async () =>
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return work(_writer);
        }
        finally
        {
            _gate.Release();
        }
    }, cancellationToken);

    /// <summary>A reader connection (pooled, query-only); dispose it after use.</summary>
    public SqliteConnection OpenReader() => OpenReader(_readers);

    /// <summary>A query-only connection to an existing ledger at <paramref name="path"/> (the <c>stats</c> command).</summary>
    /// <exception cref="InvalidOperationException">The file is missing or is not a ledger.</exception>
    public static SqliteConnection OpenExistingReader(string path)
    {
        if (!File.Exists(path)) throw new InvalidOperationException($"no store at '{path}' (set Analytics:Store:Path to the ledger file)");
        try
        {
            var connection = OpenReader(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
            if (Scalar(connection, $"SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '{LedgerSchema.MetaTable}'") is not 1L)
            {
                connection.Dispose();
                throw Unusable(path, "it is not an analytics ledger (no analytics_meta table)");
            }
            return connection;
        }
        catch (SqliteException e)
        {
            throw Unusable(path, Reason(e), e);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _gate.Wait();
        try
        {
            if (_disposed) return;
            _disposed = true;
            _writer.Dispose();
            // Pooled readers keep the file open otherwise.
            using var reader = new SqliteConnection(_readers);
            SqliteConnection.ClearPool(reader);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static SqliteConnection OpenReader(string connectionString)
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        Execute(connection, $"PRAGMA query_only = 1; PRAGMA busy_timeout = {BusyTimeoutMs}");
        return connection;
    }

    /// <summary>Checks what the file holds and creates or extends the schema, in one transaction. Returns the retention horizon.</summary>
    private static long Migrate(SqliteConnection connection, string path)
    {
        using var tx = connection.BeginTransaction();
        var tables = Convert.ToInt64(Scalar(connection, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'", tx), CultureInfo.InvariantCulture);
        var ours = Scalar(connection, $"SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '{LedgerSchema.MetaTable}'", tx) is 1L;
        if (tables > 0 && !ours) throw Unusable(path, "it is a SQLite database of something else (it has tables but no analytics_meta)");
        if (ours && Scalar(connection, $"SELECT value FROM {LedgerSchema.MetaTable} WHERE key = '{LedgerSchema.VersionKey}'", tx) is long version
            && version > LedgerSchema.Version)
            throw Unusable(path, $"it was written by a newer release (ledger schema {version}; this release reads up to {LedgerSchema.Version})");
        foreach (var sql in LedgerSchema.Create()) Execute(connection, sql, tx);
        foreach (var (table, _) in LedgerSchema.AllRollups) AddMissingCounterColumns(connection, table, tx);
        Execute(connection, $"INSERT INTO {LedgerSchema.MetaTable} (key, value) VALUES ('{LedgerSchema.VersionKey}', {LedgerSchema.Version}) " +
                            "ON CONFLICT (key) DO UPDATE SET value = excluded.value", tx);
        var horizon = Scalar(connection, $"SELECT value FROM {LedgerSchema.MetaTable} WHERE key = '{LedgerSchema.HorizonKey}'", tx) as long? ?? 0;
        tx.Commit();
        return horizon;
    }

    /// <summary>A counter added to <see cref="Analytics.Contracts.UsageCounter"/> after the file was created becomes a column of 0s.</summary>
    private static void AddMissingCounterColumns(SqliteConnection connection, string table, SqliteTransaction tx)
    {
        var present = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using (var cmd = connection.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = $"SELECT name FROM pragma_table_info('{table}')";
            using var reader = cmd.ExecuteReader();
            while (reader.Read()) present.Add(reader.GetString(0));
        }
        foreach (var column in LedgerSchema.CounterColumns())
        {
            if (!present.Contains(column)) Execute(connection, $"ALTER TABLE {table} ADD COLUMN {column} INTEGER NOT NULL DEFAULT 0", tx);
        }
    }

    internal static void Execute(SqliteConnection connection, string sql, SqliteTransaction? tx = null)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    internal static object? Scalar(SqliteConnection connection, string sql, SqliteTransaction? tx = null)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    private static string Reason(SqliteException e) => e.SqliteErrorCode switch
    {
        raw.SQLITE_NOTADB => "it is not a SQLite database (corrupt, or another kind of file)",
        raw.SQLITE_CORRUPT => "the database is corrupt",
        raw.SQLITE_READONLY => "the file is read-only (the ledger needs to write it)",
        raw.SQLITE_CANTOPEN => "SQLite cannot open it (check the path and its permissions)",
        raw.SQLITE_BUSY or raw.SQLITE_LOCKED => "another process holds it locked",
        _ => e.Message.TrimEnd('.'),
    };

    private static InvalidOperationException Unusable(string path, string reason, Exception? inner = null) =>
        new($"{AnalyticsOptions.SectionName}:Store:Path: '{path}' cannot be used as the usage ledger: {reason}.", inner);
}
