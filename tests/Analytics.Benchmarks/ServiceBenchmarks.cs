using System.Net.Http.Headers;
using System.Text;
using Analytics.Actors.Store;
using Analytics.Actors.UsageLog;
using Analytics.Benchmarks.Infrastructure;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using Microsoft.Extensions.DependencyInjection;

namespace Analytics.Benchmarks;

/// <summary>
/// Benchmark 8a: ingest throughput of the service over loopback HTTP (events per second): 4 concurrent clients post
/// JSON Lines bodies of 1, 100 or 1,000 events to <c>POST /v1/events</c> and wait for each 202. With the store on
/// (the host's default) a 202 waits for the ledger commit. The baseline is the replay path in the same process: the
/// same lines parsed by the same parser, recorded with <c>TryRecord</c> and, with a store, committed (one commit
/// barrier at the end, as a replay has). Fresh event ids every invoke, so every event is a new ledger row.
/// </summary>
[Config(typeof(Cfg))]
public class IngestThroughputBenchmarks
{
    private const int Clients = 4;
    private BenchService _service = null!;
    private ByteArrayContent[][] _bodies = [];
    private byte[][] _lines = [];
    private int _round;

    /// <summary>Events per request.</summary>
    [Params(1, 100, 1_000)]
    public int Batch { get; set; }

    /// <summary>No store (a 202 waits for the ring write), or a store with this <c>BatchInterval</c> (a 202 waits for the commit).</summary>
    [Params("off", "20ms", "2ms")]
    public string Store { get; set; } = "off";

    /// <summary>Events per invoke: enough requests to keep 4 clients busy, bounded for batches of 1.</summary>
    private int EventsPerInvoke => Batch == 1 ? 2_000 : Clients * 4 * Batch;

    [GlobalSetup]
    public void Setup() => _service = BenchService.Start(Store);

    [IterationSetup]
    public void FreshBodies()
    {
        var round = ++_round;
        var lines = Enumerable.Range(0, EventsPerInvoke).Select(i => BenchService.Line($"b{Batch}-r{round}-{i}", i)).ToArray();
        _lines = [.. lines.Select(l => Encoding.UTF8.GetBytes(l))];
        var requests = lines.Chunk(Batch).Select(chunk =>
        {
            var content = new ByteArrayContent(Encoding.UTF8.GetBytes(string.Join('\n', chunk)));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
            return content;
        }).ToList();
        _bodies = [.. Enumerable.Range(0, Clients).Select(c => requests.Where((_, i) => i % Clients == c).ToArray())];
    }

    [Benchmark(Baseline = true)]
    public async Task<long> ReplayPathInProcess()
    {
        var recorder = _service.App.Services.GetRequiredService<UsageRecorder>();
        var runtime = _service.App.Services.GetRequiredService<StoreRuntime>().Current;
        var store = _service.App.Services.GetRequiredService<IUsageStore>();
        long recorded = 0;
        foreach (var line in _lines)
        {
            var entry = UsageLogParser.Parse(line, out var error) ?? throw new InvalidOperationException(error);
            while (runtime is not null && !runtime.HasRoom(recorder.PendingCount + 1)) await Task.Yield();
            while (!entry.TryRecord(recorder)) await Task.Yield();
            recorded++;
        }
        if (runtime is not null && !(await store.WhenCommittedAsync()).Complete) throw new InvalidOperationException("not committed");
        return recorded;
    }

    [Benchmark]
    public async Task<long> HttpIngest4Clients()
    {
        var accepted = await Task.WhenAll(_bodies.Select(requests => Task.Run(async () =>
        {
            long sum = 0;
            foreach (var body in requests)
            {
                using var response = await _service.Client.PostAsync("/v1/events", body).ConfigureAwait(false);
                if ((int)response.StatusCode != 202) throw new InvalidOperationException($"status {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                sum += Batch;
            }
            return sum;
        })));
        return accepted.Sum();
    }

    [GlobalCleanup]
    public void Cleanup() => _service.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(60));

    private sealed class Cfg : ManualConfig
    {
        public Cfg()
        {
            AddJob(BenchConfig.Mutator(fullIterations: 8, quickIterations: 2, fullWarmup: 2, quickWarmup: 1, invocationCount: 1));
            AddColumn(new EventsPerSecondColumn());
        }
    }

    /// <summary>Events per second of an invoke (its events over its mean time).</summary>
    private sealed class EventsPerSecondColumn : CustomColumn
    {
        public override string Id => nameof(EventsPerSecondColumn);
        public override string ColumnName => "Events/s";
        public override ColumnCategory Category => ColumnCategory.Custom;
        public override string Legend => "Events ingested per second (events of one invoke / its mean time)";
        public override UnitType UnitType => UnitType.Dimensionless;
        public override int PriorityInCategory => 0;

        public override string GetValue(BenchmarkDotNet.Reports.Summary summary, BenchmarkDotNet.Running.BenchmarkCase benchmarkCase, BenchmarkDotNet.Reports.SummaryStyle style)
        {
            var stats = summary[benchmarkCase]?.ResultStatistics;
            if (stats is null) return "-";
            var batch = (int)benchmarkCase.Parameters["Batch"];
            var events = batch == 1 ? 2_000 : Clients * 4 * batch;
            return (events / (stats.Mean / 1e9)).ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}

/// <summary>
/// Benchmark 8b: latencies of single requests (each iteration is one request, so P50/P99 are per request):
/// <c>POST /v1/events</c> of 1 and 100 events, store off (202 after the ring write) against store on (202 after the
/// commit: what the durability promise costs), with the store's default <c>BatchInterval</c> (20 ms) and with 2 ms; and
/// <c>GET /v1/stats</c> (30 days by day) while one client ingests batches of 100 as fast as it can.
/// </summary>
[Config(typeof(Cfg))]
public class ServiceLatencyBenchmarks
{
    private BenchService _service = null!;
    private CancellationTokenSource _background = new();
    private Task _ingest = Task.CompletedTask;
    private int _next;
    private string _statsPath = "";

    /// <summary>No store (202 after the ring write), or a store with this <c>BatchInterval</c> (202 after the commit).</summary>
    [Params("off", "20ms", "2ms")]
    public string Store { get; set; } = "off";


    [GlobalSetup(Targets = [nameof(PostOneEvent), nameof(Post100Events)])]
    public void Setup() => _service = BenchService.Start(Store);

    [GlobalSetup(Target = nameof(GetStatsWhileIngesting))]
    public void SetupWithIngest()
    {
        Setup();
        _statsPath = Store != "off" ? $"/v1/stats?since={DateTime.UtcNow.Date.AddDays(-29):yyyy-MM-dd}&by=day" : "/v1/stats";
        var token = _background.Token;
        _ingest = Task.Run(async () =>
        {
            var round = 0;
            while (!token.IsCancellationRequested)
            {
                round++;
                using var body = new StringContent(string.Join('\n', Enumerable.Range(0, 100).Select(i => BenchService.Line($"bg-{round}-{i}", i))), Encoding.UTF8, "application/x-ndjson");
                using var response = await _service.Client.PostAsync("/v1/events", body, CancellationToken.None).ConfigureAwait(false);
                if ((int)response.StatusCode != 202) throw new InvalidOperationException($"background ingest: {(int)response.StatusCode}");
            }
        });
    }

    [Benchmark(Baseline = true)]
    public async Task<int> PostOneEvent() => await PostAsync(1);

    [Benchmark]
    public async Task<int> Post100Events() => await PostAsync(100);

    [Benchmark]
    public async Task<int> GetStatsWhileIngesting()
    {
        using var response = await _service.Client.GetAsync(_statsPath).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        if ((int)response.StatusCode != 200) throw new InvalidOperationException($"status {(int)response.StatusCode}");
        return body.Length;
    }

    private async Task<int> PostAsync(int events)
    {
        var first = Interlocked.Add(ref _next, events) - events;
        using var body = new StringContent(string.Join('\n', Enumerable.Range(first, events).Select(i => BenchService.Line($"lat-{i}", i))), Encoding.UTF8, "application/x-ndjson");
        using var response = await _service.Client.PostAsync("/v1/events", body).ConfigureAwait(false);
        if ((int)response.StatusCode != 202) throw new InvalidOperationException($"status {(int)response.StatusCode}");
        return events;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _background.Cancel();
        try
        {
            _ingest.Wait(TimeSpan.FromSeconds(30));
        }
        catch (AggregateException)
        {
            // Cancelled mid-request.
        }
        _background = new CancellationTokenSource();
        _service.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(60));
    }

    private sealed class Cfg : ManualConfig
    {
        public Cfg()
        {
            AddJob(BenchConfig.Mutator(fullIterations: 200, quickIterations: 5, fullWarmup: 10, quickWarmup: 1, invocationCount: 1, forceGc: false));
            AddColumn(StatisticColumn.P50, StatisticColumn.P95, new PercentileColumn(99));
        }
    }
}
