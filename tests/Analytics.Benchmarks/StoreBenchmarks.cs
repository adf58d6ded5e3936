using Akka.Hosting;
using Analytics.Actors;
using Analytics.Actors.Store;
using Analytics.Benchmarks.Infrastructure;
using Analytics.Contracts;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Analytics.Benchmarks;

/// <summary>Events shaped like a gateway's: a few dozen models, four providers, fifty agents, unique ids.</summary>
internal static class StoreWorkload
{
    public static readonly string[] Models = [.. Enumerable.Range(0, 24).Select(i => $"model-{i:D2}")];
    public static readonly string[] Providers = ["openai", "anthropic", "google", "mistral"];
    public static readonly string[] Agents = [.. Enumerable.Range(0, 50).Select(i => $"agent-{i:D2}")];

    public static AnalyticsEvent Event(string id, long timestampMs, int i) => i % 20 == 0
        ? new LlmRequestFailed
        {
            EventId = id, TimestampMs = timestampMs, Model = Models[i % Models.Length], Provider = Providers[i % Providers.Length],
            AgentId = Agents[i % Agents.Length], ErrorCode = "overloaded", DurationMs = 90,
        }
        : new LlmRequestCompleted
        {
            EventId = id, TimestampMs = timestampMs, Model = Models[i % Models.Length], Provider = Providers[i % Providers.Length],
            ProviderId = "ip_bench-001", AgentId = i % 7 == 0 ? null : Agents[i % Agents.Length], InputTokens = 1_000 + i % 500, OutputTokens = 200 + i % 50,
            CacheReadInputTokens = 256, ReasoningTokens = i % 3 == 0 ? 64 : 0, CostMicros = 4_500 + i % 1_000, DurationMs = 800 + i % 300,
            TimeToFirstTokenMs = 120,
        };

    /// <summary>The ledger insert the straightforward way: a parameterised <c>SqliteCommand</c> per row, no rollups.</summary>
    public static int AdoNetInsert(SqliteConnection connection, IReadOnlyList<AnalyticsEvent> batch)
    {
        using var tx = connection.BeginTransaction();
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        var columns = LedgerSchema.LedgerColumns;
        cmd.CommandText = $"INSERT OR IGNORE INTO ledger ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select((_, i) => $"$p{i + 1}"))})";
        var p = new SqliteParameter[columns.Length];
        for (var i = 0; i < p.Length; i++) p[i] = cmd.Parameters.AddWithValue($"$p{i + 1}", DBNull.Value);
        var inserted = 0;
        foreach (var e in batch)
        {
            var c = e as LlmRequestCompleted;
            var f = e as LlmRequestFailed;
            p[0].Value = e.EventId;
            p[1].Value = e.TimestampMs;
            p[2].Value = f is null ? 0 : 1;
            p[3].Value = c?.Model ?? f!.Model;
            p[4].Value = c?.Provider ?? f!.Provider;
            p[5].Value = (object?)c?.ProviderId ?? DBNull.Value;
            p[6].Value = (object?)e.AgentId ?? DBNull.Value;
            p[7].Value = c?.InputTokens ?? 0;
            p[8].Value = c?.OutputTokens ?? 0;
            p[9].Value = c?.CacheReadInputTokens ?? 0;
            p[10].Value = c?.CacheCreationInputTokens ?? 0;
            p[11].Value = c?.ReasoningTokens ?? 0;
            p[12].Value = c?.CostMicros ?? 0;
            p[13].Value = c?.Unpriced == true ? 1 : 0;
            p[14].Value = (object?)(c?.DurationMs ?? f!.DurationMs) ?? DBNull.Value;
            p[15].Value = (object?)c?.TimeToFirstTokenMs ?? DBNull.Value;
            p[16].Value = (object?)f?.ErrorCode ?? DBNull.Value;
            p[17].Value = (object?)f?.ErrorMessage ?? DBNull.Value;
            p[18].Value = 0;
            inserted += cmd.ExecuteNonQuery();
        }
        tx.Commit();
        return inserted;
    }
}

/// <summary>
/// Store benchmark 1: events per second committed to the ledger, by batch size (one transaction per batch, as the
/// writer stream commits them). Mean is time per event; Op/s is events committed per second. Ours is the writer the
/// store runs: raw-bound <c>INSERT OR IGNORE</c> by event id plus the hourly rollups of the inserted rows per model,
/// provider and agent, in the same transaction. The baseline inserts the same rows into the same table through a
/// parameterised <c>SqliteCommand</c> and keeps no rollups. Each iteration writes <see cref="Events"/> fresh events to a
/// new file (WAL, the store's pragmas), so every run starts from an empty ledger; <see cref="Ids"/> says how the event
/// ids are ordered, which decides how much of the index each batch rewrites.
/// </summary>
[Config(typeof(StoreThroughputConfig))]
public class StoreWriteBenchmarks
{
    public const int Events = 100_000;

    private string _dir = "";
    private LedgerDatabase _db = null!;
    private LedgerWriter _writer = null!;
    private AnalyticsEvent[][] _batches = [];
    private int _round;

    [Params(100, 1_000, 10_000)]
    public int BatchSize { get; set; }

    /// <summary>
    /// v7: time-ordered ids, as the pump assigns them; the index on event ids grows at its end. v4: random ids, as a
    /// client may supply them; every batch touches pages all over the index, and each touched page is written to the WAL.
    /// </summary>
    [Params("v7", "v4")]
    public string Ids { get; set; } = "v7";

    [GlobalSetup]
    public void Setup() => _dir = Directory.CreateTempSubdirectory("analytics-store-bench-").FullName;

    [IterationSetup]
    public void FreshLedger()
    {
        var round = ++_round;
        var path = Path.Combine(_dir, $"write-{round}.db");
        _db = LedgerDatabase.Open(path);
        _writer = new LedgerWriter(_db);
        var start = DateTimeOffset.Parse("2026-11-01T00:00:00Z").ToUnixTimeMilliseconds();
        var at = DateTimeOffset.UtcNow;
        _batches = [.. Enumerable.Range(0, Events).Select(i => StoreWorkload.Event((Ids == "v7" ? Guid.CreateVersion7(at.AddTicks(i * 500)) : Guid.NewGuid()).ToString("D"),
            start + i * 50L, i)).Chunk(BatchSize)];
    }

    [IterationCleanup]
    public void DropLedger()
    {
        _writer.Dispose();
        _db.Dispose();
        foreach (var f in Directory.GetFiles(_dir)) File.Delete(f);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public async Task<int> AdoNetInsertNoRollups()
    {
        var inserted = 0;
        foreach (var batch in _batches) inserted += await _db.WriteAsync(c => StoreWorkload.AdoNetInsert(c, batch));
        return Check(inserted);
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public async Task<int> OurLedgerWriterWithRollups()
    {
        var inserted = 0;
        foreach (var batch in _batches) inserted += (await _writer.WriteAsync(batch, Delivery.Local)).Inserted;
        return Check(inserted);
    }

    private static int Check(int inserted) => inserted == Events ? inserted : throw new InvalidOperationException($"inserted {inserted} of {Events}");

    [GlobalCleanup]
    public void Cleanup()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>
/// Store benchmark 2: the <c>stats --since</c> query over a ledger of <see cref="Events"/> events spread over 90 days
/// (24 models, 4 providers, 50 agents), for the last 30 days. Ours reads the hourly rollups (<see cref="LedgerReader.Usage"/>,
/// the code <c>stats</c> runs), with and without day buckets. The baseline is what a ledger without rollups must do: a
/// plain <c>SELECT ... GROUP BY</c> per breakdown over the raw rows of the window (with an index on the timestamp, which
/// the store itself does not keep). The ledger is built once per machine in the temp folder and reused.
/// </summary>
[Config(typeof(Cfg))]
public class StoreQueryBenchmarks
{
    public const int Events = 1_000_000;
    private static readonly DateTimeOffset End = DateTimeOffset.Parse("2026-11-01T00:00:00Z");
    private static readonly UsageQueries.GetUsage Last30Days = new(End - TimeSpan.FromDays(30), End);

    private SqliteConnection _reader = null!;
    private string _groupBy = "";

    [GlobalSetup]
    public void Setup()
    {
        var path = Path.Combine(Path.GetTempPath(), "analytics-store-bench-1m-v3.db");
        if (!Built(path)) Build(path);
        _reader = LedgerDatabase.OpenExistingReader(path);
        var sums = string.Join(", ", LedgerSchema.LedgerColumns[7..14].Select(c => $"sum({c})"));
        _groupBy = string.Join("; ", new[] { "model", "provider", "agent_id" }.Select(k =>
            $"SELECT {k}, count(*), sum(failed), {sums}, sum(duration_ms), count(duration_ms), sum(time_to_first_token_ms), count(time_to_first_token_ms) " +
            $"FROM ledger WHERE timestamp_ms >= $since AND timestamp_ms < $until GROUP BY {k}"));
    }

    [Benchmark(Baseline = true)]
    public long LedgerGroupBy()
    {
        using var cmd = _reader.CreateCommand();
        cmd.CommandText = _groupBy;
        cmd.Parameters.AddWithValue("$since", Last30Days.Since!.Value.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("$until", Last30Days.Until!.Value.ToUnixTimeMilliseconds());
        using var r = cmd.ExecuteReader();
        long requests = 0;
        do
        {
            while (r.Read()) requests += r.GetInt64(1);
        } while (r.NextResult());
        return Check(requests / 3);
    }

    [Benchmark]
    public long Rollups() => Check(LedgerReader.Usage(_reader, Last30Days, End).Totals.Requests);

    [Benchmark]
    public long RollupsByDay() => Check(LedgerReader.Usage(_reader, Last30Days with { By = UsageBucketSize.Day }, End).Totals.Requests);

    /// <summary>A third of the events fall in the window (give or take the edges).</summary>
    private static long Check(long requests) => requests is > Events / 3 - 2_000 and < Events / 3 + 2_000 ? requests : throw new InvalidOperationException($"{requests} requests");

    [GlobalCleanup]
    public void Cleanup()
    {
        _reader.Dispose();
        SqliteConnection.ClearAllPools();
    }

    private static bool Built(string path)
    {
        if (!File.Exists(path)) return false;
        try
        {
            using var c = LedgerDatabase.OpenExistingReader(path);
            return LedgerReader.Count(c) == Events;
        }
        catch (Exception e) when (e is InvalidOperationException or SqliteException)
        {
            return false;
        }
    }

    private static void Build(string path)
    {
        foreach (var f in Directory.GetFiles(Path.GetDirectoryName(path)!, Path.GetFileName(path) + "*")) File.Delete(f);
        using (var db = LedgerDatabase.Open(path))
        using (var writer = new LedgerWriter(db))
        {
            var start = (End - TimeSpan.FromDays(90)).ToUnixTimeMilliseconds();
            var step = TimeSpan.FromDays(90).Ticks / TimeSpan.TicksPerMillisecond / Events;
            for (var from = 0; from < Events; from += 10_000)
            {
                var batch = Enumerable.Range(from, 10_000).Select(i => StoreWorkload.Event($"q-{i:D7}", start + i * step, i)).ToArray();
                writer.WriteAsync(batch, Delivery.Local).GetAwaiter().GetResult();
            }
            db.WriteAsync(c =>
            {
                LedgerDatabase.Execute(c, "CREATE INDEX IF NOT EXISTS bench_ledger_time ON ledger (timestamp_ms); PRAGMA wal_checkpoint(TRUNCATE)");
                return 0;
            }).GetAwaiter().GetResult();
        }
        SqliteConnection.ClearAllPools();
    }

    private sealed class Cfg : ManualConfig
    {
        public Cfg()
        {
            AddJob(BenchConfig.Mutator(fullIterations: 15, quickIterations: 3, fullWarmup: 3, quickWarmup: 1));
        }
    }
}

/// <summary>
/// Store benchmark 3: end to end, from the first Record call until every one of <see cref="Events"/> requests is
/// committed to the ledger (<see cref="IUsageStore.WhenCommittedAsync"/>), through the host's real
/// recorder, pump, tap, store queue and writer stream with the default store options. The producer waits for room in the
/// store queue as replay does, so nothing is store-dropped; ids are assigned by the pump. Mean is time per event; Op/s
/// is events committed per second. The baseline is the same pipeline with the store off, up to the folded stats.
/// </summary>
[Config(typeof(StoreThroughputConfig))]
public class StorePipelineBenchmarks
{
    public const int Events = 200_000;

    private string _dir = "";
    private IHost _host = null!;
    private UsageRecorder _recorder = null!;
    private IUsageStore _store = null!;
    private IUsageStats _stats = null!;
    private StoreRuntime.Running? _running;
    private long _recorded;

    [GlobalSetup(Target = nameof(RecordUntilCommitted))]
    public void SetupWithStore() => Start(storeOn: true);

    [GlobalSetup(Target = nameof(RecordUntilFoldedNoStore))]
    public void SetupWithoutStore() => Start(storeOn: false);

    private void Start(bool storeOn)
    {
        _dir = Directory.CreateTempSubdirectory("analytics-store-pipeline-").FullName;
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Analytics:Store:Path"] = storeOn ? Path.Combine(_dir, "ledger.db") : "" });
        builder.Services.AddUsageAnalytics(builder.Configuration);
        builder.Services.AddAkka("store-pipeline", akka => akka.AddHocon(Hocon.Quiet, HoconAddMode.Prepend).WithUsageAnalytics());
        _host = builder.Build();
        _host.StartAsync().GetAwaiter().GetResult();
        _recorder = _host.Services.GetRequiredService<UsageRecorder>();
        _store = _host.Services.GetRequiredService<IUsageStore>();
        _stats = _host.Services.GetRequiredService<IUsageStats>();
        _running = _host.Services.GetRequiredService<StoreRuntime>().Current;
        _recorded = 0;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public long RecordUntilFoldedNoStore()
    {
        Record();
        var stats = _stats.GetAsync().GetAwaiter().GetResult();
        return stats.Totals.Requests == _recorded ? stats.Totals.Requests : throw new InvalidOperationException($"{stats.Totals.Requests} of {_recorded}");
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public long RecordUntilCommitted()
    {
        var before = _store.Counters;
        Record();
        var commit = _store.WhenCommittedAsync(before).GetAwaiter().GetResult();
        var inserted = _store.Counters!.Inserted;
        return commit.Complete && inserted == _recorded ? inserted : throw new InvalidOperationException($"{inserted} of {_recorded} committed ({commit})");
    }

    private void Record()
    {
        var requests = Workload.Requests;
        var spin = new SpinWait();
        for (var i = 0; i < Events; i++)
        {
            ref readonly var r = ref requests[i & Workload.Mask];
            while (_running is { } store && (i & 255) == 0 && !store.HasRoom(_recorder.PendingCount + 256)) spin.SpinOnce(sleep1Threshold: -1);
            while (!_recorder.TryRecordCompleted(r.Model, new TokenUsage(r.InputTokens, r.OutputTokens), costMicros: r.CostMicros, attribution: new RequestAttribution { Provider = r.Provider }))
                spin.SpinOnce(sleep1Threshold: -1);
        }
        _recorded += Events;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _host.StopAsync().GetAwaiter().GetResult();
        _host.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>The store's throughput benchmarks: one call per iteration (each writes a whole workload), events per second.</summary>
internal sealed class StoreThroughputConfig : ManualConfig
{
    public StoreThroughputConfig()
    {
        AddJob(BenchConfig.Mutator(fullIterations: 8, quickIterations: 2, fullWarmup: 1, quickWarmup: 1, invocationCount: 1));
        AddColumn(StatisticColumn.OperationsPerSecond);
    }
}
