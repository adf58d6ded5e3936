using System.Diagnostics;
using Analytics.Benchmarks.Infrastructure;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace Analytics.Benchmarks.Gateway;

/// <summary>
/// A gateway in saturation: <see cref="Threads"/> request threads record <see cref="Events"/> completed requests as fast
/// as each design accepts them, then a stats read must show every one. Mean is end to end per event (from the first
/// record call until the read includes the last event); <c>Caller</c> is the producers' share (until the last record
/// call returned), per event. No design may drop: ours waits (spins) when its ring is full and fails the run if
/// anything was dropped or rejected; every design's read is checked against what was recorded.
/// </summary>
/// <remarks>
/// Each design does the same work: price from the embedded catalog, find the provider, keep the <see cref="UsageCounters"/>
/// of every model, provider, agent and the totals, with its natural consumer running (ours: the pump on its own thread;
/// Tell: the actor on the default dispatcher; the others fold on the caller's thread). Threads are not pinned.
/// </remarks>
[Config(typeof(Cfg))]
public class GatewaySaturationBenchmarks
{
    /// <summary>Divisible by 1, 2 and 8, so every thread records the same number.</summary>
    public const int Events = 96_000;

    private GatewayDesign _design = null!;
    private ThreadGroup _threads = null!;
    private Action<int> _work = null!;
    private string _method = "";
    private long _recorded;
    private readonly List<long> _callerTicks = [];

    [Params(1, 2, 8)]
    public int Threads { get; set; }

    [GlobalSetup(Target = nameof(Ours))]
    public void SetupOurs() => Setup(nameof(Ours));

    [GlobalSetup(Target = nameof(LockDictionary))]
    public void SetupLock() => Setup(nameof(LockDictionary));

    [GlobalSetup(Target = nameof(ConcurrentDictionary))]
    public void SetupConcurrentDictionary() => Setup(nameof(ConcurrentDictionary));

    [GlobalSetup(Target = nameof(AkkaTellPerEvent))]
    public void SetupTell() => Setup(nameof(AkkaTellPerEvent));

    [GlobalSetup(Target = nameof(OpenTelemetry))]
    public void SetupOpenTelemetry() => Setup(nameof(OpenTelemetry));

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public long Ours() => Invoke();

    [Benchmark(OperationsPerInvoke = Events)]
    public long LockDictionary() => Invoke();

    [Benchmark(OperationsPerInvoke = Events)]
    public long ConcurrentDictionary() => Invoke();

    [Benchmark(OperationsPerInvoke = Events)]
    public long AkkaTellPerEvent() => Invoke();

    [Benchmark(OperationsPerInvoke = Events)]
    public long OpenTelemetry() => Invoke();

    [GlobalCleanup]
    public void Cleanup()
    {
        try
        {
            if (_design.Dropped != 0) throw new InvalidOperationException($"{_method} dropped or rejected {_design.Dropped} events");
            // The measured iterations are the last ones (warm-up iterations come first and outliers are kept), so this is
            // the mean over the same runs as the Mean column.
            var measured = _callerTicks.TakeLast(Iterations).ToArray();
            BenchMetrics.Write(nameof(GatewaySaturationBenchmarks), _method, Threads, new Dictionary<string, double>
            {
                ["CallerNs"] = measured.Average() * (1e9 / Stopwatch.Frequency) / Events,
            });
        }
        finally
        {
            _threads.Dispose();
            _design.Dispose();
        }
    }

    private void Setup(string method)
    {
        _method = method;
        _design = GatewayDesign.Create(method, waitWhenFull: true);
        _threads = new ThreadGroup(Threads);
        _work = Work;
        // Tier-1 code (with PGO) before BenchmarkDotNet's own warm-up, whose iterations are few here.
        var until = Stopwatch.GetTimestamp() + Stopwatch.Frequency * (BenchConfig.Quick ? 1 : 3) / 5;
        while (Stopwatch.GetTimestamp() < until) Invoke();
        _callerTicks.Clear();
    }

    private long Invoke()
    {
        var start = Stopwatch.GetTimestamp();
        _threads.Run(_work);
        _callerTicks.Add(Stopwatch.GetTimestamp() - start);
        _recorded += Events;
        var seen = _design.ReadRequests();
        if (seen != _recorded) throw new InvalidOperationException($"{_method}: the read shows {seen} requests, {_recorded} were recorded");
        return seen;
    }

    private void Work(int thread)
    {
        var perThread = Events / Threads;
        for (var done = 0; done < perThread; done += Workload.Chunk)
            RecordRange(_design, thread * perThread + done, Math.Min(Workload.Chunk, perThread - done));
    }

    /// <summary>A loop method called many times per run, so it is promoted to tier-1 code (see <see cref="Workload.InChunks"/>).</summary>
    private static void RecordRange(GatewayDesign design, int start, int count)
    {
        var requests = GatewayWorkload.Requests;
        for (var i = start; i < start + count; i++) design.Record(requests[i & GatewayWorkload.Mask]);
    }

    private static int Iterations => BenchConfig.Quick ? 3 : 15;

    private sealed class Cfg : ManualConfig
    {
        public Cfg()
        {
            // No forced GC between iterations: each design pays for its own garbage (Tell's messages) inside the time.
            // Outliers are kept, so Mean and the caller's column average the same runs.
            AddJob(BenchConfig.Mutator(fullIterations: Iterations, quickIterations: Iterations, fullWarmup: 2, quickWarmup: 1, invocationCount: 1, forceGc: false)
                .WithOutlierMode(Perfolizer.Mathematics.OutlierDetection.OutlierMode.DontRemove));
            AddColumn(new MetricColumn("CallerNs", "Caller ns/event", "Producers' time per event: from the first record call until the last one returned, no read"));
        }
    }
}
