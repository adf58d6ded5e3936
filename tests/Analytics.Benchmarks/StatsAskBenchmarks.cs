using Akka.Actor;
using Analytics.Actors;
using Analytics.Actors.Pricing;
using Analytics.Benchmarks.Infrastructure;
using Analytics.Benchmarks.Peers;
using Analytics.Contracts;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;

namespace Analytics.Benchmarks;

/// <summary>
/// Latency of a stats Ask against a real pump holding <see cref="Keys"/> models and as many
/// agents. Each iteration is exactly one call, so P95 and P99 are percentiles of single Asks (BenchmarkDotNet
/// normally averages many calls per iteration, which would hide the tail).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><see cref="Ours_Ask"/>: nothing pending; the pump drains nothing and replies at once with the aggregators'
/// last reports.</item>
/// <item><see cref="Ours_RecordThenAsk"/>: the read-your-writes case: one event was just recorded, so the pump drains
/// and folds it, hands the batch to the model, provider and agent aggregators and waits for their reports (one row
/// rebuilt in each).</item>
/// <item><see cref="Ours_TouchEveryKeyThenAsk"/>: the worst case: one event for each of the <see cref="Keys"/>
/// models and agents was just recorded (inside the measured time), so the pump folds them all and hands one batch over;
/// the model and the agent aggregator each set Keys changed rows in their immutable views (at the same time, on the
/// aggregators' two threads) before they report.</item>
/// <item><see cref="AkkaTellPerEvent_TellThenAsk"/>: the naive actor peer after one Tell; it must copy its
/// dictionaries into an immutable snapshot for every Ask.</item>
/// </list>
/// Forced GCs between iterations are off here (1,000 of them would dominate the run); collections caused
/// by the Asks themselves are inside the measurements, as in production.
/// </remarks>
[Config(typeof(Cfg))]
public class StatsAskBenchmarks
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private ActorSystem? _system;
    private UsageRecorder _recorder = null!;
    private IActorRef _pump = null!;
    private TellPerEventPeer? _peer;
    private string[] _models = [];
    private string[] _agents = [];
    private int _next;

    [Params(10, 100, 1_000)]
    public int Keys { get; set; }

    [GlobalSetup(Targets = [nameof(Ours_Ask), nameof(Ours_RecordThenAsk), nameof(Ours_TouchEveryKeyThenAsk)])]
    public void SetupOurs()
    {
        MakeKeys();
        _system = ActorSystem.Create("stats", Hocon.Quiet);
        _recorder = new UsageRecorder();
        _pump = _system.ActorOf(IngressPumpActor.CreateProps(_recorder, PriceTable.Embedded, new AnalyticsOptions()), "pump");
        TouchEveryKey();
        var stats = Ask();
        if (stats.ByModel.Count != Keys || stats.ByAgent.Count != Keys) throw new InvalidOperationException("the pump does not hold the keys");
    }

    [GlobalSetup(Target = nameof(AkkaTellPerEvent_TellThenAsk))]
    public void SetupPeer()
    {
        MakeKeys();
        _peer = new TellPerEventPeer();
        for (var i = 0; i < Keys; i++) TellOne(i);
        var stats = _peer.AskStats();
        if (stats.ByModel.Count != Keys || stats.ByAgent.Count != Keys) throw new InvalidOperationException("the peer does not hold the keys");
    }

    [Benchmark(Baseline = true)]
    public UsageStats Ours_Ask() => Ask();

    [Benchmark]
    public UsageStats Ours_RecordThenAsk()
    {
        RecordOne(_next++ % Keys);
        return Ask();
    }

    [Benchmark]
    public UsageStats Ours_TouchEveryKeyThenAsk()
    {
        TouchEveryKey();
        return Ask();
    }

    [Benchmark]
    public int AkkaTellPerEvent_TellThenAsk()
    {
        TellOne(_next++ % Keys);
        return _peer!.AskStats().ByModel.Count;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _system?.Terminate().Wait(TimeSpan.FromSeconds(10));
        _peer?.Dispose();
    }

    private void MakeKeys()
    {
        _models = Enumerable.Range(0, Keys).Select(i => $"model-{i:D4}").ToArray();
        _agents = Enumerable.Range(0, Keys).Select(i => $"agent-{i:D4}").ToArray();
        _next = 0;
    }

    private UsageStats Ask() => _pump.Ask<UsageStats>(UsageQueries.GetStats.Instance, Timeout).GetAwaiter().GetResult();

    private void TouchEveryKey()
    {
        for (var i = 0; i < Keys; i++) RecordOne(i);
    }

    private void RecordOne(int key)
    {
        ref readonly var r = ref Workload.Requests[key & Workload.Mask];
        if (!_recorder.RecordCompleted(_models[key], new TokenUsage(r.InputTokens, r.OutputTokens), new RequestAttribution { AgentId = _agents[key], Provider = r.Provider }, costMicros: r.CostMicros))
            throw new InvalidOperationException("the ring refused an event");
    }

    private void TellOne(int key)
    {
        ref readonly var r = ref Workload.Requests[key & Workload.Mask];
        _peer!.Aggregator.Tell(new TellPerEventPeer.RequestWithAgent(_models[key], r.Provider, _agents[key], r.InputTokens, r.OutputTokens, r.CostMicros));
    }

    private sealed class Cfg : ManualConfig
    {
        public Cfg()
        {
            AddJob(BenchConfig.Mutator(fullIterations: 1_000, quickIterations: 60, fullWarmup: 20, quickWarmup: 5, invocationCount: 1, forceGc: false));
            AddColumn(StatisticColumn.P95, new PercentileColumn(99));
        }
    }
}
