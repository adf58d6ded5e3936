using Akka.Actor;
using Analytics.Actors;
using Analytics.Actors.Pricing;
using Analytics.Contracts;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;

namespace Analytics.Benchmarks.Infrastructure;

/// <summary>
/// The measured work of the benchmarks that vary what rides along with the fold (metrics, percentiles): <see cref="Events"/>
/// requests recorded by one producer through the real pump and its aggregators (the producer spins when the ring is
/// full, nothing is dropped) and an Ask whose stats must count every one.
/// </summary>
internal sealed class PumpFold : IDisposable
{
    public const int Events = 200_000;

    private readonly ActorSystem _system;
    private readonly IActorRef _pump;
    private readonly Func<long, RequestTiming> _timing;
    private readonly Action<int, int> _range;
    private readonly string? _agent;
    private long _recorded;

    /// <param name="name">The actor system's name.</param>
    /// <param name="timing">The latencies of request number n (default: none).</param>
    /// <param name="beforePump">Runs before the pump starts (to attach a tap, for example).</param>
    /// <param name="agent">The agent every request is attributed to (default: none).</param>
    public PumpFold(string name, Func<long, RequestTiming> timing, Action<UsageRecorder>? beforePump = null, string? agent = null)
    {
        _agent = agent;
        _system = ActorSystem.Create(name, Hocon.Quiet);
        Recorder = new UsageRecorder();
        _timing = timing;
        beforePump?.Invoke(Recorder);
        _pump = _system.ActorOf(IngressPumpActor.CreateProps(Recorder, PriceTable.Embedded, new AnalyticsOptions()), "pump");
        _range = Range;
    }

    public UsageRecorder Recorder { get; }

    /// <summary>Requests recorded so far.</summary>
    public long Recorded => _recorded;

    public UsageStats Run()
    {
        Workload.InChunks(Events, _range);
        var stats = _pump.Ask<UsageStats>(UsageQueries.GetStats.Instance, TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
        _recorded += Events;
        if (stats.Totals.Requests != _recorded) throw new InvalidOperationException($"stats show {stats.Totals.Requests} requests, {_recorded} were recorded");
        return stats;
    }

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    private void Range(int start, int count)
    {
        var recorder = Recorder;
        var requests = Workload.Requests;
        for (var i = start; i < start + count; i++)
        {
            ref readonly var r = ref requests[i & Workload.Mask];
            var usage = new TokenUsage(r.InputTokens, r.OutputTokens);
            var attribution = new RequestAttribution { Provider = r.Provider, AgentId = _agent };
            var timing = _timing(_recorded + i);
            var spin = new SpinWait();
            while (!recorder.TryRecordCompleted(r.Model, usage, attribution, timing, r.CostMicros)) spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>15 iterations of one invoke each, events per second shown.</summary>
    public sealed class Config : ManualConfig
    {
        public Config()
        {
            AddJob(BenchConfig.Mutator(fullIterations: 15, quickIterations: 3, fullWarmup: 3, quickWarmup: 1, invocationCount: 1));
            AddColumn(StatisticColumn.OperationsPerSecond);
        }
    }
}
