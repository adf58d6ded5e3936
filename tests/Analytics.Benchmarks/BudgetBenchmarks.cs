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
/// Benchmark 9b: what budgets cost the pump, as benchmark 7a measures the meter: <see cref="Events"/> requests recorded,
/// folded by the real pump and seen by an Ask (Mean is time per request), with no tap, with the budget evaluator's tap
/// alone, with the meter's alone (the default host), and with both. <see cref="FoldUntilEvaluated"/> also waits until
/// the evaluator handled every request. Four budgets count each request.
/// </summary>
[Config(typeof(Cfg))]
public class BudgetPumpBenchmarks
{
    public const int Events = 100_000;

    private ActorSystem? _system;
    private ServiceProvider? _services;
    private MetricsPipeline? _meter;
    private TapBudgetFeed? _feed;
    private BudgetRunner? _runner;
    private PumpFold _fold = null!;

    [Params("none", "budgets", "meter", "meter+budgets")]
    public string Taps { get; set; } = "none";

    [GlobalSetup]
    public void Setup()
    {
        _system = ActorSystem.Create("budgets", Hocon.Quiet);
        var recorder = new UsageRecorder();
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        if (Taps.Contains("meter", StringComparison.Ordinal))
            _meter = MetricsPipeline.Start(recorder, _services.GetRequiredService<IMeterFactory>(), new MetricsOptions { QueueCapacity = Events });
        if (Taps.Contains("budgets", StringComparison.Ordinal))
        {
            BudgetDefinition[] budgets =
            [
                new("all", BudgetScope.Agent, "*", BudgetWindow.Day, long.MaxValue / 2, [50, 80, 100]),
                new("gpt-4o", BudgetScope.Model, "gpt-4o", BudgetWindow.Month, long.MaxValue / 2, [50, 80, 100]),
                new("openai", BudgetScope.Provider, "openai", BudgetWindow.Hour, long.MaxValue / 2, [50, 80, 100]),
                new("anthropic", BudgetScope.Provider, "anthropic", BudgetWindow.Week, long.MaxValue / 2, [50, 80, 100]),
            ];
            _feed = new TapBudgetFeed(recorder, Events);
            _runner = new BudgetRunner(_feed, new BudgetEvaluator(budgets, TimeProvider.System), new BudgetBoard(budgets, TimeProvider.System), null, recorder, null,
                TimeProvider.System, NullLogger.Instance);
            _runner.Start();
        }
        _fold = new PumpFold(_system, recorder, Events, agent: "agent-1");
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public long Fold() => _fold.Fold();

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
        _system?.Terminate().Wait(TimeSpan.FromSeconds(10));
        _meter?.StopAsync().Wait(TimeSpan.FromSeconds(10));
        _feed?.Detach();
        _runner?.Completion.Wait(TimeSpan.FromSeconds(10));
        _services?.Dispose();
    }

    private sealed class Cfg : ManualConfig
    {
        public Cfg()
        {
            AddJob(BenchConfig.Mutator(fullIterations: 10, quickIterations: 3, fullWarmup: 2, quickWarmup: 1, invocationCount: 1));
            AddColumn(StatisticColumn.OperationsPerSecond);
        }
    }
}

/// <summary>
/// Benchmark 9c: how stale a budget status can be. One request is recorded and the benchmark spins on
/// <see cref="IBudgetStatus"/>'s read until the status shows it: the time measured is what a gateway's check lags the
/// recording by (the pump's pick-up, the fold, the tap's hop to the evaluator, evaluation, publishing). <see cref="Pump"/>
/// <c>busy</c>: requests keep arriving (each iteration follows the last at once, the poller polls every
/// <c>PollInterval</c>, 1 ms); <c>idle</c>: a second without requests before each one (the poller has backed off to
/// <c>DrainInterval</c>, 100 ms). Default options.
/// </summary>
[Config(typeof(Cfg))]
public class BudgetStalenessBenchmarks
{
    private ActorSystem? _system;
    private UsageRecorder _recorder = null!;
    private TapBudgetFeed _feed = null!;
    private BudgetRunner _runner = null!;
    private BudgetBoard _board = null!;

    [Params("busy", "idle")]
    public string Pump { get; set; } = "busy";

    [GlobalSetup]
    public void Setup()
    {
        _system = ActorSystem.Create("staleness", Hocon.Quiet);
        _recorder = new UsageRecorder();
        BudgetDefinition[] budgets = [new("all", BudgetScope.Agent, "*", BudgetWindow.Month, long.MaxValue / 2, [50, 80, 100])];
        _feed = new TapBudgetFeed(_recorder, 65_536);
        _board = new BudgetBoard(budgets, TimeProvider.System);
        _runner = new BudgetRunner(_feed, new BudgetEvaluator(budgets, TimeProvider.System), _board, null, _recorder, null, TimeProvider.System, NullLogger.Instance);
        _runner.Start();
        _system.ActorOf(IngressPumpActor.CreateProps(_recorder, PriceTable.Embedded, new AnalyticsOptions()), "pump");
    }

    [IterationSetup]
    public void Quiet()
    {
        if (Pump == "idle") Thread.Sleep(1_000);
    }

    [Benchmark]
    public long RecordUntilVisible()
    {
        var before = _board.Get("all")!.SpentMicros;
        _recorder.RecordCompleted("gpt-4o", new TokenUsage(10, 5), costMicros: 1);
        var spin = new SpinWait();
        long now;
        while ((now = _board.Get("all")!.SpentMicros) == before) spin.SpinOnce(sleep1Threshold: -1);
        return now;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
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
