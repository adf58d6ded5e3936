using System.Net.Http.Headers;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Analytics.Actors;
using Analytics.Actors.Sync;
using Analytics.Benchmarks.Infrastructure;
using Analytics.Contracts;
using Analytics.Tests.Sync;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Analytics.Benchmarks;

/// <summary>
/// Events per second delivered to a loopback Protocol 012 server (the validating, deduplicating test
/// server of the sync specs, no faults). Ours is the real delivery graph with the default sync options
/// (<c>GroupedWithin(10, 30 s) -> SelectAsyncUnordered(4)</c>, 4 requests in flight per batch, Polly pipeline per
/// event). The peer is the reference crate's way: one POST per event, awaited before the next. Both send the same
/// bytes (<see cref="Protocol012.Serialize"/>) with fresh event ids each invoke, so every request is a 202 and
/// every event is stored; each invoke checks that the server holds all of them.
/// </summary>
/// <remarks>
/// <see cref="ServerLatencyMs"/> 0 is pure loopback: client and server share the machine's two cores, so the run is
/// CPU-bound and concurrency cannot help. 5 ms stands for a Control API in a nearby region (the server holds each
/// answer that long), which is where one-at-a-time sending is latency-bound and concurrency pays.
/// </remarks>
[Config(typeof(Cfg))]
public class SyncBenchmarks
{
    public const int Events = 1_000;
    private const string Token = "bench-token";

    private Protocol012TestServer _server = null!;
    private ServiceProvider _services = null!;
    private ActorSystem _system = null!;
    private IMaterializer _materializer = null!;
    private Protocol012HttpSink _sink = null!;
    private HttpClient _client = null!;
    private Uri _uri = null!;
    private SyncOptions _options = null!;
    private AnalyticsEvent[] _events = [];
    private int _round;

    /// <summary>How long the server holds each answer, standing in for network distance.</summary>
    [Params(0, 5)]
    public int ServerLatencyMs { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _server = Protocol012TestServer.StartAsync().GetAwaiter().GetResult();
        if (ServerLatencyMs > 0)
        {
            _server.SlowEvery = 1;
            _server.SlowDelay = TimeSpan.FromMilliseconds(ServerLatencyMs);
        }
        _services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
        var clients = _services.GetRequiredService<IHttpClientFactory>();
        _options = new SyncOptions { Endpoint = _server.BaseUrl, Token = Token };
        _uri = _options.EventsUri;
        _client = clients.CreateClient();
        _system = ActorSystem.Create("sync-bench", Hocon.Quiet);
        _materializer = _system.Materializer();
        var deadLetters = new DeadLetterFile(Path.Combine(Path.GetTempPath(), "analytics-bench-dead-letters.jsonl"), TimeProvider.System, NullLogger.Instance);
        _sink = new Protocol012HttpSink(_options, clients, new SyncMetrics(), deadLetters, TimeProvider.System, NullLogger.Instance);
    }

    [IterationSetup]
    public void FreshEvents()
    {
        // New ids every invoke: a re-sent id would be a 200 duplicate, a different (cheaper) server path.
        var round = ++_round;
        _events = new AnalyticsEvent[Events];
        for (var i = 0; i < Events; i++)
        {
            _events[i] = new LlmRequestCompleted
            {
                EventId = $"bench-{round}-{i}", TimestampMs = 1_764_400_000_000 + i, Model = "gpt-4o-mini", Provider = "openai",
                InputTokens = 1_200, OutputTokens = 300, CostMicros = 360,
            };
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public async Task<int> SequentialOneRequestAtATime()
    {
        foreach (var e in _events)
        {
            using var content = new ByteArrayContent(Protocol012.Serialize(e, Token));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await _client.PostAsync(_uri, content).ConfigureAwait(false);
            if ((int)response.StatusCode is not (202 or 200)) throw new InvalidOperationException($"status {(int)response.StatusCode}");
        }
        return Check();
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public async Task<int> OurPipeline()
    {
        var delivered = await Source.From(_events)
            .ViaDelivery(_options.BatchSize, _options.Interval, _options.Parallelism, batch => _sink.DeliverAsync(batch, CancellationToken.None))
            .RunAggregate(0, static (sum, outcome) => sum + outcome.Delivered, _materializer)
            .ConfigureAwait(false);
        if (delivered != Events) throw new InvalidOperationException($"delivered {delivered} of {Events}");
        return Check();
    }

    /// <summary>Every event of this invoke is stored (a thousand lookups: microseconds against ~100 ms of HTTP).</summary>
    private int Check()
    {
        var stored = _server.Stored;
        foreach (var e in _events)
        {
            if (!stored.ContainsKey((Token, e.EventId!))) throw new InvalidOperationException($"server lacks {e.EventId}");
        }
        return _events.Length;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _services.Dispose();
        _system.Terminate().Wait(TimeSpan.FromSeconds(10));
        _server.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10));
    }

    private sealed class Cfg : ManualConfig
    {
        public Cfg()
        {
            AddJob(BenchConfig.Mutator(fullIterations: 10, quickIterations: 2, fullWarmup: 2, quickWarmup: 1, invocationCount: 1));
            AddColumn(StatisticColumn.OperationsPerSecond);
        }
    }
}
