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
/// Benchmark 2: end to end, from the first Record call until the folded stats that include every one of
/// <see cref="Events"/> requests are in the hands of an Ask's caller. Mean is time per event; Op/s is
/// events per second through the whole pipeline.
/// </summary>
/// <remarks>
/// Ours runs the real pump over the default 10,000-slot recorder with default options. A bounded ring
/// cannot take a burst faster than the pump folds it, so the producer retries (spinning) when the ring is
/// full, as the replay host does: nothing is dropped, and the wait is part of the time. Each invoke
/// checks that the stats count exactly every event recorded so far. The peer Tells one message per event
/// to an aggregator actor and then Asks it; the mailbox is FIFO, so the reply comes after every fold.
/// </remarks>
[Config(typeof(Cfg))]
public class PipelineBenchmarks
{
    public const int Events = 200_000;

    private ActorSystem? _system;
    private UsageRecorder _recorder = null!;
    private IActorRef _pump = null!;
    private TellPerEventPeer? _peer;
    private long _recorded;
    private Action<int, int> _costedRange = null!, _pricedRange = null!;

    [GlobalSetup(Targets = [nameof(Ours), nameof(OursPricedByPump)])]
    public void SetupOurs()
    {
        _system = ActorSystem.Create("pipeline", Hocon.Quiet);
        _recorder = new UsageRecorder();
        _costedRange = CostedRange;
        _pricedRange = PricedRange;
        _pump = _system.ActorOf(IngressPumpActor.CreateProps(_recorder, PriceTable.Embedded, new AnalyticsOptions()), "pump");
        _recorded = 0;
    }

    [GlobalSetup(Target = nameof(AkkaTellPerEvent))]
    public void SetupPeer()
    {
        _peer = new TellPerEventPeer();
        _recorded = 0;
    }

    /// <summary>The caller supplies the cost, as every peer gets it.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public long Ours()
    {
        Workload.InChunks(Events, _costedRange);
        return Check(AskOurs());
    }

    /// <summary>
    /// Model and tokens only: the pump prices each event (memoised per model) and infers its provider,
    /// the work the peers are spared because they are handed the cost and provider.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public long OursPricedByPump()
    {
        Workload.InChunks(Events, _pricedRange);
        return Check(AskOurs());
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public long AkkaTellPerEvent()
    {
        var peer = _peer!;
        Workload.InChunks(Events, peer.RecordRange);
        return Check(peer.Ask());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _system?.Terminate().Wait(TimeSpan.FromSeconds(10));
        _peer?.Dispose();
    }

    private long AskOurs()
    {
        var stats = _pump.Ask<UsageStats>(UsageQueries.GetStats.Instance, TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
        if (stats.Ingress.Dropped != 0) throw new InvalidOperationException($"{stats.Ingress.Dropped} events were dropped");
        return stats.Totals.Requests;
    }

    private long Check(long requests)
    {
        _recorded += Events;
        if (requests != _recorded) throw new InvalidOperationException($"stats show {requests} requests, {_recorded} were recorded");
        return requests;
    }

    private void CostedRange(int start, int count)
    {
        var recorder = _recorder;
        var requests = Workload.Requests;
        for (var i = start; i < start + count; i++)
        {
            ref readonly var r = ref requests[i & Workload.Mask];
            if (!recorder.TryRecordCompleted(r.Model, new TokenUsage(r.InputTokens, r.OutputTokens), costMicros: r.CostMicros, attribution: new RequestAttribution { Provider = r.Provider }))
                RetryUntilAccepted(recorder, r, priced: false);
        }
    }

    private void PricedRange(int start, int count)
    {
        var recorder = _recorder;
        var requests = Workload.Requests;
        for (var i = start; i < start + count; i++)
        {
            ref readonly var r = ref requests[i & Workload.Mask];
            if (!recorder.TryRecordCompleted(r.Model, new TokenUsage(r.InputTokens, r.OutputTokens)))
                RetryUntilAccepted(recorder, r, priced: true);
        }
    }

    private static void RetryUntilAccepted(UsageRecorder recorder, in Request r, bool priced)
    {
        var spin = new SpinWait();
        do spin.SpinOnce(sleep1Threshold: -1);
        while (priced
            ? !recorder.TryRecordCompleted(r.Model, new TokenUsage(r.InputTokens, r.OutputTokens))
            : !recorder.TryRecordCompleted(r.Model, new TokenUsage(r.InputTokens, r.OutputTokens), costMicros: r.CostMicros, attribution: new RequestAttribution { Provider = r.Provider }));
    }

    private sealed class Cfg : ManualConfig
    {
        public Cfg()
        {
            AddJob(BenchConfig.Mutator(fullIterations: 15, quickIterations: 3, fullWarmup: 3, quickWarmup: 1, invocationCount: 1));
            AddColumn(StatisticColumn.OperationsPerSecond);
        }
    }
}
