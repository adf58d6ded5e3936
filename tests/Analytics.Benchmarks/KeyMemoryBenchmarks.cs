using Akka.Actor;
using Analytics.Actors;
using Analytics.Actors.Pricing;
using Analytics.Benchmarks.Infrastructure;
using Analytics.Contracts;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Analytics.Benchmarks;

/// <summary>
/// What one key costs to hold (the figure behind <c>Analytics:MaxKeysPerBreakdown</c>): a fresh pump is given
/// <see cref="Keys"/> new agents, <see cref="RequestsPerKey"/> requests each, every request with a duration and a time to
/// first token spread over three decades (37 ms .. 37 s), and an Ask that shows them all. <c>Held B/key</c> is the live
/// heap after the Ask minus the live heap before the first request (full collections, the pump still running), divided by
/// the keys: the pump's key entry, the agent aggregator's row, its two latency sketches and its view entry.
/// </summary>
[Config(typeof(Cfg))]
public class KeyMemoryBenchmarks
{
    public const int Keys = 10_000;

    private ActorSystem _system = null!;
    private UsageRecorder _recorder = null!;
    private IActorRef _pump = null!;
    private string[] _agents = [];
    private long _before;

    [Params(1, 50)]
    public int RequestsPerKey { get; set; }

    [IterationSetup]
    public void Start()
    {
        _agents = Enumerable.Range(0, Keys).Select(i => $"agent-{i:D5}").ToArray();
        _system = ActorSystem.Create("keys", Hocon.Quiet);
        _recorder = new UsageRecorder(capacity: 4 * Keys);
        _pump = _system.ActorOf(IngressPumpActor.CreateProps(_recorder, PriceTable.Embedded, new AnalyticsOptions()), "usage-analytics");
        Ask();
        _before = GC.GetTotalMemory(forceFullCollection: true);
    }

    [Benchmark(OperationsPerInvoke = Keys)]
    public int HoldKeys()
    {
        long n = 0;
        for (var round = 0; round < RequestsPerKey; round++)
        {
            for (var key = 0; key < Keys; key++)
            {
                n++;
                var timing = new RequestTiming { DurationMs = 37 + n * 7_919 % 37_000, TimeToFirstTokenMs = 20 + n * 104_729 % 2_000 };
                var spin = new SpinWait();
                while (!_recorder.TryRecordCompleted("gpt-4o", new TokenUsage(100, 10), new RequestAttribution { AgentId = _agents[key] }, timing)) spin.SpinOnce();
            }
        }
        var stats = Ask();
        if (stats.ByAgent.Count != Keys) throw new InvalidOperationException($"{stats.ByAgent.Count} agents held, {Keys} recorded");
        return stats.ByAgent.Count;
    }

    [IterationCleanup]
    public void Stop()
    {
        var held = GC.GetTotalMemory(forceFullCollection: true) - _before;
        GC.KeepAlive(_pump);
        BenchMetrics.Write(nameof(KeyMemoryBenchmarks), nameof(HoldKeys), RequestsPerKey, new Dictionary<string, double> { ["HeldPerKey"] = (double)held / Keys });
        _system.Terminate().Wait(TimeSpan.FromSeconds(10));
    }

    private UsageStats Ask() => _pump.Ask<UsageStats>(UsageQueries.GetStats.Instance, TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();

    private sealed class Cfg : ManualConfig
    {
        public Cfg()
        {
            AddJob(BenchConfig.Mutator(fullIterations: 3, quickIterations: 1, fullWarmup: 1, quickWarmup: 0, invocationCount: 1));
            AddColumn(new MetricColumn("HeldPerKey", "Held B/key", "Live heap after the Ask minus before the first request, per key", "N0"));
        }
    }
}
