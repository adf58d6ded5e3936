using System.Diagnostics.Metrics;
using Akka.Actor;
using Analytics.Actors.Budgets;
using Analytics.Actors.Metrics;
using Analytics.Actors.Pricing;
using Analytics.Benchmarks.Infrastructure;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Analytics.Benchmarks;

/// <summary>
/// Benchmark 9a: the budget evaluator's work for one completed request (find the budgets that count it, find the window
/// its timestamp falls in, add, compare with the next threshold), on the evaluator's own task. Per request.
/// </summary>
/// <remarks>
/// <see cref="Budgets"/>: <c>1</c> is one <c>*</c> budget; <c>4</c> is one <c>*</c> daily, one per agent, one per model
/// and one per provider budget, each request counted by all four; <c>101</c> is 100 agent budgets (one per agent of
/// the workload) and a <c>*</c> one. <see cref="Timestamps"/>: <c>live</c> requests stamped within one hour (the window
/// of the previous request is hit), <c>history</c> stamped at random over 30 days (a replayed log: a window lookup per
/// request). The baseline adds each cost to one <c>long</c>: the floor of any evaluator.
/// </remarks>
[Config(typeof(Cfg))]
public class BudgetEvaluatorBenchmarks
{
    private const int PerInvoke = 4_096;
    private static readonly long Start = new DateTimeOffset(2026, 3, 9, 10, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    private BudgetEvaluator _evaluator = null!;
    private SpendRecord[] _requests = [];
    private long _sum;

    [Params(1, 4, 101)]
    public int Budgets { get; set; }

    [Params("live", "history")]
    public string Timestamps { get; set; } = "live";

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(9);
        var agents = Enumerable.Range(0, 100).Select(i => $"agent-{i}").ToArray();
        _requests = Enumerable.Range(0, PerInvoke).Select(i =>
        {
            var r = Workload.Requests[i & Workload.Mask];
            var at = Timestamps == "live" ? Start + random.Next(0, 3_600_000) : Start - random.NextInt64(0, 30L * 86_400_000);
            return new SpendRecord(Guid.NewGuid().ToString("D"), at, r.CostMicros, r.Model, r.Provider, agents[random.Next(agents.Length)]);
        }).ToArray();
        // Limits far above the spend: the benchmark measures counting, not the (rare) crossings.
        var definitions = new List<BudgetDefinition> { new("all", BudgetScope.Agent, "*", BudgetWindow.Day, long.MaxValue / 2, [50, 80, 100]) };
        if (Budgets == 4)
        {
            definitions.Add(new BudgetDefinition("agent-7", BudgetScope.Agent, "agent-7", BudgetWindow.Day, long.MaxValue / 2, [50, 80, 100]));
            definitions.Add(new BudgetDefinition("mini", BudgetScope.Model, "gpt-4o-mini", BudgetWindow.Month, long.MaxValue / 2, [50, 80, 100]));
            definitions.Add(new BudgetDefinition("openai", BudgetScope.Provider, "openai", BudgetWindow.Hour, long.MaxValue / 2, [50, 80, 100]));
        }
        if (Budgets == 101)
            definitions.AddRange(agents.Select(a => new BudgetDefinition(a, BudgetScope.Agent, a, BudgetWindow.Week, long.MaxValue / 2, [50, 80, 100])));
        if (definitions.Count != Budgets) throw new InvalidOperationException($"{definitions.Count} budgets, {Budgets} wanted");
        _evaluator = new BudgetEvaluator(definitions, TimeProvider.System);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = PerInvoke)]
    public long SumOnly()
    {
        var requests = _requests;
        for (var i = 0; i < requests.Length; i++) _sum += requests[i].CostMicros;
        return _sum;
    }

    [Benchmark(OperationsPerInvoke = PerInvoke)]
    public long Evaluate()
    {
        var requests = _requests;
        for (var i = 0; i < requests.Length; i++) _evaluator.Evaluate(requests[i]);
        return _evaluator.Evaluated;
    }

    private sealed class Cfg : ManualConfig
    {
        public Cfg() => AddJob(BenchConfig.Mutator(fullIterations: 15, quickIterations: 3, fullWarmup: 5, quickWarmup: 1));
    }
}

/// <summary>
/// Benchmark 9d: what a gateway's check costs, per call: <see cref="IBudgetStatus"/>'s <c>Get(name)</c> and
/// <c>ForAgent(agent)</c> over 101 published budgets (100 agent budgets and a <c>*</c> one), against the floor of a plain
/// <see cref="Dictionary{TKey, TValue}"/> lookup of the same name. Reads run on the caller's thread while nothing
/// publishes; each one also reads the clock, to hand out the next window once one ended.
/// </summary>
[Config(typeof(Cfg))]
public class BudgetReadBenchmarks
{
    private const int PerInvoke = 1_024;

    private BudgetBoard _board = null!;
    private Dictionary<string, BudgetStatus> _plain = [];
    private string[] _names = [];

    [GlobalSetup]
    public void Setup()
    {
        var definitions = new List<BudgetDefinition> { new("all", BudgetScope.Agent, "*", BudgetWindow.Day, 1_000_000, [50, 80, 100]) };
        definitions.AddRange(Enumerable.Range(0, 100).Select(i => new BudgetDefinition($"agent-{i}", BudgetScope.Agent, $"agent-{i}", BudgetWindow.Day, 1_000_000, [50, 80, 100])));
        _board = new BudgetBoard(definitions, TimeProvider.System);
        var evaluator = new BudgetEvaluator(definitions, TimeProvider.System);
        evaluator.Publish(TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds(), _board.Stage);
        _board.Commit();
        _plain = definitions.ToDictionary(d => d.Name, d => _board.Get(d.Name)!, StringComparer.OrdinalIgnoreCase);
        // Fresh strings, as names read from a request would be.
        _names = Enumerable.Range(0, PerInvoke).Select(i => new string($"agent-{i % 100}".AsSpan())).ToArray();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = PerInvoke)]
    public long PlainDictionary()
    {
        long sum = 0;
        foreach (var name in _names) sum += _plain[name].SpentMicros;
        return sum;
    }

    [Benchmark(OperationsPerInvoke = PerInvoke)]
    public long Get()
    {
        long sum = 0;
        foreach (var name in _names) sum += _board.Get(name)!.SpentMicros;
        return sum;
    }

    [Benchmark(OperationsPerInvoke = PerInvoke)]
    public long ForAgent()
    {
        long sum = 0;
        foreach (var name in _names)
        {
            var budgets = _board.ForAgent(name);
            for (var i = 0; i < budgets.Count; i++) sum += budgets[i].SpentMicros;
        }
        return sum;
    }

    private sealed class Cfg : ManualConfig
    {
        public Cfg() => AddJob(BenchConfig.Mutator(fullIterations: 15, quickIterations: 3, fullWarmup: 5, quickWarmup: 1));
    }
}

/// <summary>
/// Benchmark 9b: what budgets cost the pump, as benchmark 7a measures the meter: <see cref="Events"/> requests recorded,
/// folded by the real pump and seen by an Ask (Mean is time per request), with no feed, with the budget evaluator's feed
/// alone (the pump's samples, as without a store, or a tap of events, as with one), with the meter's alone (the default
/// host), and with the meter and the budgets. <see cref="FoldUntilEvaluated"/> also waits until the evaluator handled
/// every request. Four budgets count each request.
/// </summary>
[Config(typeof(PumpFold.Config))]
public class BudgetPumpBenchmarks
{
    public const int Events = PumpFold.Events;

    private ServiceProvider? _services;
    private MetricsPipeline? _meter;
    private IBudgetFeed? _feed;
    private BudgetRunner? _runner;
    private PumpFold _fold = null!;

    /// <summary>
    /// <c>budgets</c>: the budgets' feed a host without a store uses (the pump's samples); <c>budgets(events)</c>: the one
    /// it uses with the store (a tap of events; alone here, so this case pays for the event objects).
    /// </summary>
    [Params("none", "budgets", "budgets(events)", "meter", "meter+budgets")]
    public string Taps { get; set; } = "none";

    [GlobalSetup]
    public void Setup()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _fold = new PumpFold("budgets", _ => new RequestTiming { DurationMs = 840 }, AttachTaps, agent: "agent-1");
    }

    private void AttachTaps(UsageRecorder recorder)
    {
        if (Taps.Contains("meter", StringComparison.Ordinal))
            _meter = MetricsPipeline.Start(recorder, _services!.GetRequiredService<IMeterFactory>(), new MetricsOptions { QueueCapacity = Events });
        if (Taps.Contains("budgets", StringComparison.Ordinal))
        {
            BudgetDefinition[] budgets =
            [
                new("all", BudgetScope.Agent, "*", BudgetWindow.Day, long.MaxValue / 2, [50, 80, 100]),
                new("gpt-4o", BudgetScope.Model, "gpt-4o", BudgetWindow.Month, long.MaxValue / 2, [50, 80, 100]),
                new("openai", BudgetScope.Provider, "openai", BudgetWindow.Hour, long.MaxValue / 2, [50, 80, 100]),
                new("anthropic", BudgetScope.Provider, "anthropic", BudgetWindow.Week, long.MaxValue / 2, [50, 80, 100]),
            ];
            _feed = Taps == "budgets(events)" ? new TapBudgetFeed(recorder, Events) : new SampleBudgetFeed(recorder, Events);
            _runner = new BudgetRunner(_feed, new BudgetEvaluator(budgets, TimeProvider.System), new BudgetBoard(budgets, TimeProvider.System), null, recorder, null,
                TimeProvider.System, NullLogger.Instance);
            _runner.Start();
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public long Fold() => _fold.Run().Totals.Requests;

    [Benchmark(OperationsPerInvoke = Events)]
    public long FoldUntilEvaluated()
    {
        var folded = Fold();
        if (_runner is null) return folded;
        _runner.WhenHandledAsync(_feed!.Accepted, CancellationToken.None).GetAwaiter().GetResult();
        if (_feed.Dropped != 0) throw new InvalidOperationException($"the budget feed dropped {_feed.Dropped} requests");
        return folded;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _fold.Dispose();
        _meter?.StopAsync().Wait(TimeSpan.FromSeconds(10));
        _feed?.Detach();
        _runner?.Completion.Wait(TimeSpan.FromSeconds(10));
        _services?.Dispose();
    }
}

/// <summary>
/// Benchmark 9c: how stale a budget status can be. One request of the agent <c>probe</c> is recorded and the benchmark
/// spins on the read <see cref="IBudgetStatus"/> uses until the probe's budget shows it: the time measured is what a
/// gateway's check lags the recording by (the pump's pick-up, the fold, the tap's hop to the evaluator, evaluation,
/// publishing). <see cref="Pump"/> <c>busy</c>: other agents' requests keep arriving, one about every millisecond from a
/// thread of their own, so the poller looks every <c>PollInterval</c> (1 ms); <c>idle</c>: nothing else arrives, and
/// before each probe the benchmark waits a second and a random part of 100 ms, so the poller has backed off to
/// <c>DrainInterval</c> (100 ms) and the probe lands at a random point of its period. Default options.
/// </summary>
[Config(typeof(Cfg))]
public class BudgetStalenessBenchmarks
{
    private readonly Random _random = new(3);
    private ActorSystem? _system;
    private UsageRecorder _recorder = null!;
    private TapBudgetFeed _feed = null!;
    private BudgetRunner _runner = null!;
    private BudgetBoard _board = null!;
    private Thread? _traffic;
    private volatile bool _stop;

    [Params("busy", "idle")]
    public string Pump { get; set; } = "busy";

    [GlobalSetup]
    public void Setup()
    {
        _system = ActorSystem.Create("staleness", Hocon.Quiet);
        _recorder = new UsageRecorder();
        BudgetDefinition[] budgets = [new("probe", BudgetScope.Agent, "probe", BudgetWindow.Month, long.MaxValue / 2, [50, 80, 100])];
        _feed = new TapBudgetFeed(_recorder, 65_536);
        _board = new BudgetBoard(budgets, TimeProvider.System);
        _runner = new BudgetRunner(_feed, new BudgetEvaluator(budgets, TimeProvider.System), _board, null, _recorder, null, TimeProvider.System, NullLogger.Instance);
        _runner.Start();
        _system.ActorOf(IngressPumpActor.CreateProps(_recorder, PriceTable.Embedded, new AnalyticsOptions()), "pump");
        if (Pump != "busy") return;
        _traffic = new Thread(() =>
        {
            while (!_stop)
            {
                _recorder.RecordCompleted("gpt-4o", new TokenUsage(10, 5), new RequestAttribution { AgentId = "other" }, costMicros: 1);
                Thread.Sleep(1);
            }
        }) { IsBackground = true };
        _traffic.Start();
    }

    [IterationSetup]
    public void Quiet()
    {
        if (Pump == "idle") Thread.Sleep(1_000 + _random.Next(100));
    }

    [Benchmark]
    public long RecordUntilVisible()
    {
        var before = _board.Get("probe")!.SpentMicros;
        _recorder.RecordCompleted("gpt-4o", new TokenUsage(10, 5), new RequestAttribution { AgentId = "probe" }, costMicros: 1);
        var spin = new SpinWait();
        long now;
        while ((now = _board.Get("probe")!.SpentMicros) == before) spin.SpinOnce(sleep1Threshold: -1);
        return now;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop = true;
        _traffic?.Join();
        _system?.Terminate().Wait(TimeSpan.FromSeconds(10));
        _feed.Detach();
        _runner.Completion.Wait(TimeSpan.FromSeconds(10));
    }

    private sealed class Cfg : ManualConfig
    {
        public Cfg()
        {
            AddJob(BenchConfig.Mutator(fullIterations: 40, quickIterations: 5, fullWarmup: 3, quickWarmup: 1, invocationCount: 1));
            AddColumn(StatisticColumn.P50, StatisticColumn.P95, StatisticColumn.Max);
        }
    }
}
