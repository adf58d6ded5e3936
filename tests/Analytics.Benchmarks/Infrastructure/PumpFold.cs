using Akka.Actor;
using Analytics.Actors.Pricing;

namespace Analytics.Benchmarks.Infrastructure;

/// <summary>
/// Benchmark 2's measure of the pump, shared by the benchmarks that price what a tap costs it (7a the meter, 9b the
/// budgets): requests of the workload recorded (waiting for room, never dropped), folded by the real pump with default
/// options, and a stats Ask that must see every one of them. Create it after the taps are attached.
/// </summary>
internal sealed class PumpFold
{
    private readonly UsageRecorder _recorder;
    private readonly IActorRef _pump;
    private readonly int _events;
    private readonly string? _agent;
    private readonly Action<int, int> _range;
    private long _recorded;

    public PumpFold(ActorSystem system, UsageRecorder recorder, int events, string? agent = null)
    {
        _recorder = recorder;
        _events = events;
        _agent = agent;
        _range = Range;
        _pump = system.ActorOf(IngressPumpActor.CreateProps(recorder, PriceTable.Embedded, new AnalyticsOptions()), "pump");
    }

    /// <summary>Records and folds one run of requests; returns the requests the stats show.</summary>
    public long Fold()
    {
        Workload.InChunks(_events, _range);
        var stats = _pump.Ask<UsageStats>(UsageQueries.GetStats.Instance, TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
        _recorded += _events;
        if (stats.Totals.Requests != _recorded) throw new InvalidOperationException($"stats show {stats.Totals.Requests} requests, {_recorded} were recorded");
        return stats.Totals.Requests;
    }

    private void Range(int start, int count)
    {
        var recorder = _recorder;
        var requests = Workload.Requests;
        for (var i = start; i < start + count; i++)
        {
            ref readonly var r = ref requests[i & Workload.Mask];
            var usage = new TokenUsage(r.InputTokens, r.OutputTokens);
            var attribution = new RequestAttribution { Provider = r.Provider, AgentId = _agent };
            var timing = new RequestTiming { DurationMs = 840 };
            var spin = new SpinWait();
            while (!recorder.TryRecordCompleted(r.Model, usage, attribution, timing, r.CostMicros)) spin.SpinOnce(sleep1Threshold: -1);
        }
    }
}
