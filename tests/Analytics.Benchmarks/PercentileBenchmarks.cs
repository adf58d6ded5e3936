using Akka.Actor;
using Analytics.Actors;
using Analytics.Actors.Pricing;
using Analytics.Benchmarks.Infrastructure;
using Analytics.Contracts;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;

namespace Analytics.Benchmarks;

/// <summary>
/// Benchmark 8a: what latency percentiles cost the fold. <see cref="Events"/> requests recorded by one producer, folded
/// and seen by an Ask (time per event, end to end on both cores), without latencies (<see cref="Timing"/> <c>none</c>: no
/// sketch is touched, the fold as before percentiles) and with a duration and a time to first token on every request
/// (<c>both</c>: the pump computes each value's bucket once and adds one latency entry per request to the batch; the
/// aggregators count it into the model's, provider's and totals' sketches and compute percentiles when they report).
/// </summary>
[Config(typeof(PumpFold.Config))]
public class PercentileFoldBenchmarks
{
    public const int Events = PumpFold.Events;

    private PumpFold _fold = null!;

    [Params("none", "both")]
    public string Timing { get; set; } = "none";

    [GlobalSetup]
    public void Setup() => _fold = new PumpFold("percentiles", Timing == "none" ? _ => default : Latencies);

    [Benchmark(OperationsPerInvoke = Events)]
    public long Fold()
    {
        var stats = _fold.Run();
        if ((stats.Totals.DurationMsPercentiles is null) != (Timing == "none")) throw new InvalidOperationException("percentiles do not match the timing");
        return stats.Totals.Requests;
    }

    [GlobalCleanup]
    public void Cleanup() => _fold.Dispose();

    /// <summary>Latencies spread over decades (37 ms .. 37 s), so the sketches hold many buckets as in production.</summary>
    internal static RequestTiming Latencies(long n) => new() { DurationMs = 37 + (n * 7919 % 37_000), TimeToFirstTokenMs = 20 + (n * 104_729 % 2_000) };
}

/// <summary>
/// Benchmark 8b: what latency percentiles cost a stats Ask, against a pump holding 1,000 models and 1,000 agents, each
/// with a sketch spread over three decades (the stats Ask benchmark's worst case and idle case): <see cref="Ask"/> with
/// nothing pending (every aggregator's last report is current), <see cref="TouchEveryKeyThenAsk"/> after one event for
/// every key, so the model and agent aggregators each count 1,000 latencies and compute the percentiles of 1,000 rows
/// (and the totals') before they report. One call per iteration, so P95 and P99 are of single Asks.
/// </summary>
[Config(typeof(Cfg))]
public class PercentileAskBenchmarks
{
    private const int Keys = 1_000;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private ActorSystem? _system;
    private UsageRecorder _recorder = null!;
    private IActorRef _pump = null!;
    private string[] _models = [], _agents = [];
    private long _tick;

    [Params("none", "both")]
    public string Timing { get; set; } = "none";

    [GlobalSetup]
    public void Setup()
    {
        _models = Enumerable.Range(0, Keys).Select(i => $"model-{i:D4}").ToArray();
        _agents = Enumerable.Range(0, Keys).Select(i => $"agent-{i:D4}").ToArray();
        _system = ActorSystem.Create("percentile-ask", Hocon.Quiet);
        _recorder = new UsageRecorder();
        _pump = _system.ActorOf(IngressPumpActor.CreateProps(_recorder, PriceTable.Embedded, new AnalyticsOptions()), "pump");
        // Each key gets a spread of latencies first, so its sketch spans many buckets when the measured Asks run.
        for (var round = 0; round < 50; round++)
        {
            TouchEveryKey();
            if (AskNow().ByModel.Count != Keys) throw new InvalidOperationException("the pump does not hold the keys");
        }
        // The set-up's garbage (2.4x more with sketches) must not be collected inside the measured Asks.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    [Benchmark(Baseline = true)]
    public UsageStats Ask() => AskNow();

    [Benchmark]
    public UsageStats TouchEveryKeyThenAsk()
    {
        TouchEveryKey();
        return AskNow();
    }

    [GlobalCleanup]
    public void Cleanup() => _system?.Terminate().Wait(TimeSpan.FromSeconds(10));

    private UsageStats AskNow() => _pump.Ask<UsageStats>(UsageQueries.GetStats.Instance, Timeout).GetAwaiter().GetResult();

    private void TouchEveryKey()
    {
        for (var key = 0; key < Keys; key++)
        {
            var timing = Timing == "none" ? default : PercentileFoldBenchmarks.Latencies(++_tick);
            if (!_recorder.RecordCompleted(_models[key], new TokenUsage(100, 10), new RequestAttribution { AgentId = _agents[key], Provider = "openai" }, timing, 10))
                throw new InvalidOperationException("the ring refused an event");
        }
    }

    private sealed class Cfg : ManualConfig
    {
        public Cfg()
        {
            AddJob(BenchConfig.Mutator(fullIterations: 300, quickIterations: 30, fullWarmup: 20, quickWarmup: 5, invocationCount: 1, forceGc: false));
            AddColumn(StatisticColumn.P95, new PercentileColumn(99));
        }
    }
}
