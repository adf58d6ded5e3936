using System.Diagnostics.Metrics;
using Akka.Actor;
using Analytics.Actors.Metrics;
using Analytics.Actors.Pricing;
using Analytics.Benchmarks.Infrastructure;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Extensions.DependencyInjection;

namespace Analytics.Benchmarks.Gateway;

/// <summary>
/// Component: the consumer's cost per event, with no producer running. <see cref="Backlog"/> gateway requests wait
/// (recorded outside the measured time), then one stats read drains and folds all of them: ours, the pump pricing each
/// event, summing it into its model's, provider's and agent's batch deltas and the totals and handing the batches to the
/// aggregators, which own the rows and report before the read is answered; the Tell design's actor doing the same per
/// message on one thread. Mean is per event. In saturation the slower consumer bounds end-to-end throughput.
/// </summary>
/// <remarks>
/// <see cref="Ours_PumpFold"/> records the gateway requests as they are, a duration and a time to first token on each,
/// so the aggregators keep percentiles; <see cref="Ours_PumpFoldWithoutLatencies"/> records the same requests without
/// them: the difference is what percentiles cost the fold. <see cref="Ours_PumpFoldWithMeter"/> adds the
/// <c>Analytics.Usage</c> meter as a host runs it by default (its feed and reader, nobody listening; its queue holds the
/// backlog, so nothing is dropped), measured until the stats read, not until the reader is done.
/// </remarks>
[Config(typeof(Cfg))]
public class ConsumerFoldBenchmarks
{
    public const int Backlog = 8_192;

    private ActorSystem _system = null!;
    private UsageRecorder _recorder = null!;
    private IActorRef _pump = null!;
    private IActorRef _actor = null!;
    private ManualResetEventSlim _gate = null!;
    private long _recorded;
    private bool _latencies = true;
    private ServiceProvider? _services;
    private MetricsPipeline? _meter;

    [GlobalSetup(Target = nameof(Ours_PumpFold))]
    public void SetupOurs() => StartOurs(latencies: true);

    [GlobalSetup(Target = nameof(Ours_PumpFoldWithoutLatencies))]
    public void SetupOursWithoutLatencies() => StartOurs(latencies: false);

    [GlobalSetup(Target = nameof(Ours_PumpFoldWithMeter))]
    public void SetupOursWithMeter() => StartOurs(latencies: true, meter: true);

    private void StartOurs(bool latencies, bool meter = false)
    {
        _latencies = latencies;
        _system = ActorSystem.Create("fold", Hocon.Quiet);
        // The ring holds the whole backlog; the poller and the wake mark are pushed out so nothing drains it before the read.
        _recorder = new UsageRecorder(4 * Backlog, shards: 1);
        if (meter)
        {
            _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
            _meter = MetricsPipeline.Start(_recorder, _services.GetRequiredService<IMeterFactory>(), new MetricsOptions { QueueCapacity = 4 * Backlog });
        }
        var options = new AnalyticsOptions { PollInterval = TimeSpan.FromMinutes(1), DrainInterval = TimeSpan.FromMinutes(1), WakeFillPercent = 100 };
        _pump = _system.ActorOf(IngressPumpActor.CreateProps(_recorder, PriceTable.Embedded, options), "usage-analytics");
        for (var i = 0; i < 20; i++)
        {
            FillOurs();
            Ours_PumpFold();
        }
    }

    [GlobalSetup(Target = nameof(AkkaTell_ActorFold))]
    public void SetupTell()
    {
        _system = ActorSystem.Create("fold", Hocon.Quiet);
        _gate = new ManualResetEventSlim(false);
        _actor = _system.ActorOf(Props.Create(() => new GatedFoldingActor(_gate)), "usage");
        for (var i = 0; i < 20; i++)
        {
            FillTell();
            AkkaTell_ActorFold();
        }
    }

    [IterationSetup(Targets = [nameof(Ours_PumpFold), nameof(Ours_PumpFoldWithoutLatencies), nameof(Ours_PumpFoldWithMeter)])]
    public void FillOurs()
    {
        var requests = GatewayWorkload.Requests;
        for (var i = 0; i < Backlog; i++)
        {
            ref readonly var r = ref requests[i & GatewayWorkload.Mask];
            var timing = _latencies ? new RequestTiming { DurationMs = r.DurationMs, TimeToFirstTokenMs = r.TimeToFirstTokenMs } : default;
            if (!_recorder.TryRecordCompleted(r.Model, new TokenUsage(r.InputTokens, r.OutputTokens, r.CacheReadTokens), new RequestAttribution { AgentId = r.Agent }, timing))
                throw new InvalidOperationException("the ring refused the backlog");
        }
        _recorded += Backlog;
    }

    /// <summary>Queues the backlog behind a gate the actor waits at, so it folds nothing before the measured read.</summary>
    [IterationSetup(Target = nameof(AkkaTell_ActorFold))]
    public void FillTell()
    {
        _gate.Reset();
        _actor.Tell(GatedFoldingActor.Hold.Instance);
        var requests = GatewayWorkload.Requests;
        for (var i = 0; i < Backlog; i++) _actor.Tell(new GatedFoldingActor.Recorded(requests[i & GatewayWorkload.Mask]));
        _recorded += Backlog;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Backlog)]
    public long Ours_PumpFold()
    {
        var stats = _pump.Ask<UsageStats>(UsageQueries.GetStats.Instance, TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
        if ((stats.Totals.DurationMsPercentiles is null) == _latencies) throw new InvalidOperationException("the percentiles do not match the latencies recorded");
        return stats.Totals.Requests == _recorded ? stats.Totals.Requests : throw new InvalidOperationException($"{stats.Totals.Requests} folded, {_recorded} recorded");
    }

    [Benchmark(OperationsPerInvoke = Backlog)]
    public long Ours_PumpFoldWithoutLatencies() => Ours_PumpFold();

    [Benchmark(OperationsPerInvoke = Backlog)]
    public long Ours_PumpFoldWithMeter() => Ours_PumpFold();

    [Benchmark(OperationsPerInvoke = Backlog)]
    public long AkkaTell_ActorFold()
    {
        _gate.Set();
        var requests = _actor.Ask<long>(GatedFoldingActor.Read.Instance, TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
        return requests == _recorded ? requests : throw new InvalidOperationException($"{requests} folded, {_recorded} told");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _system.Terminate().Wait(TimeSpan.FromSeconds(10));
        _meter?.StopAsync().Wait(TimeSpan.FromSeconds(10));
        _services?.Dispose();
    }

    /// <summary>The Tell design's actor (as in <see cref="TellDesign"/>), plus a gate it can be held at while a backlog queues.</summary>
    private sealed class GatedFoldingActor : ReceiveActor
    {
        private readonly Dictionary<string, UsageCounters> _byModel = new(StringComparer.Ordinal);
        private readonly Dictionary<string, UsageCounters> _byProvider = new(StringComparer.Ordinal);
        private readonly Dictionary<string, UsageCounters> _byAgent = new(StringComparer.Ordinal);
        private UsageCounters _totals;

        public GatedFoldingActor(ManualResetEventSlim gate)
        {
            Receive<Hold>(_ => gate.Wait());
            Receive<Recorded>(m =>
            {
                var (provider, counters) = GatewayDesign.Price(m.Request);
                _totals.Add(counters);
                System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_byModel, m.Request.Model, out _).Add(counters);
                System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_byProvider, provider, out _).Add(counters);
                System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_byAgent, m.Request.Agent, out _).Add(counters);
            });
            Receive<Read>(_ => Sender.Tell(_totals[UsageCounter.Requests]));
        }

        public sealed record Recorded(GatewayRequest Request);

        public sealed class Hold
        {
            public static readonly Hold Instance = new();
        }

        public sealed class Read
        {
            public static readonly Read Instance = new();
        }
    }

    private sealed class Cfg : ManualConfig
    {
        public Cfg() => AddJob(BenchConfig.Mutator(fullIterations: 30, quickIterations: 5, fullWarmup: 3, quickWarmup: 1, invocationCount: 1, forceGc: false));
    }
}
