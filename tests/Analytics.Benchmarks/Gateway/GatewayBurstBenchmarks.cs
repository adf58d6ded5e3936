using System.Diagnostics;
using Analytics.Benchmarks.Infrastructure;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Analytics.Benchmarks.Gateway;

/// <summary>
/// A gateway under offered load: about 100,000 completed requests a second arriving in bursts, one burst a millisecond
/// (<see cref="EventsPerBurst"/> requests split over <see cref="Threads"/> request threads, recorded back to back, then
/// each thread sleeps 1 ms). Every record call is timed with <see cref="Stopwatch.GetTimestamp"/>; the columns give the
/// percentiles of those calls over every run of a case, the offered rate achieved, and the memory the design holds.
/// </summary>
/// <remarks>
/// <para>Same designs and work as <see cref="GatewaySaturationBenchmarks"/>; ours records with plain
/// <c>RecordCompleted</c> (no waiting) and fails the run if a single event was dropped. Mean (time per event of a run) is
/// mostly the sleeps; read the percentile columns. The timed region includes one pair of timestamp reads (about 20-40
/// ns here, the <c>Timer</c> column) for every design alike.</para>
/// <para><c>Held</c>: the live heap after the runs (full collection, the design still in use) minus the live heap before
/// the design was created: the ring, the actor system, the rows, whatever each design keeps.</para>
/// </remarks>
[Config(typeof(Cfg))]
public class GatewayBurstBenchmarks
{
    public const int EventsPerBurst = 100;
    public const int BurstsPerInvoke = 50;
    private const int MaxInvokes = 64;

    private GatewayDesign _design = null!;
    private ThreadGroup _threads = null!;
    private Action<int> _work = null!;
    private string _method = "";
    private long[][] _latencies = [];
    private int[] _counts = [];
    private bool _recording;
    private long _heapBefore;
    private long _runTicks;
    private long _events;
    private int _perThreadPerBurst;

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

    [Benchmark(Baseline = true, OperationsPerInvoke = EventsPerBurst * BurstsPerInvoke)]
    public void Ours() => Invoke();

    [Benchmark(OperationsPerInvoke = EventsPerBurst * BurstsPerInvoke)]
    public void LockDictionary() => Invoke();

    [Benchmark(OperationsPerInvoke = EventsPerBurst * BurstsPerInvoke)]
    public void ConcurrentDictionary() => Invoke();

    [Benchmark(OperationsPerInvoke = EventsPerBurst * BurstsPerInvoke)]
    public void AkkaTellPerEvent() => Invoke();

    [Benchmark(OperationsPerInvoke = EventsPerBurst * BurstsPerInvoke)]
    public void OpenTelemetry() => Invoke();

    [GlobalCleanup]
    public void Cleanup()
    {
        try
        {
            var recorded = _design.ReadRequests();
            if (_design.Dropped != 0) throw new InvalidOperationException($"{_method} dropped or rejected {_design.Dropped} events");
            GC.KeepAlive(recorded);
            var held = GC.GetTotalMemory(forceFullCollection: true) - _heapBefore;
            var all = _latencies.SelectMany((l, t) => l.Take(_counts[t])).ToArray();
            Array.Sort(all);
            var ns = 1e9 / Stopwatch.Frequency;
            BenchMetrics.Write(nameof(GatewayBurstBenchmarks), _method, Threads, new Dictionary<string, double>
            {
                ["P50"] = Percentile(all, 0.50) * ns,
                ["P99"] = Percentile(all, 0.99) * ns,
                ["P999"] = Percentile(all, 0.999) * ns,
                ["Max"] = all[^1] * ns / 1_000,
                ["Calls"] = all.Length,
                ["Rate"] = _events / (_runTicks / (double)Stopwatch.Frequency),
                ["HeldKB"] = held / 1024.0,
                ["Timer"] = TimerCost() * ns,
            });
            GC.KeepAlive(_design);
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
        _perThreadPerBurst = EventsPerBurst / Threads;
        _latencies = Enumerable.Range(0, Threads).Select(_ => new long[MaxInvokes * BurstsPerInvoke * _perThreadPerBurst]).ToArray();
        _counts = new int[Threads];
        _threads = new ThreadGroup(Threads);
        _work = Work;
        _heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        _design = GatewayDesign.Create(method, waitWhenFull: false);
        // Tier-1 code before anything is recorded; BenchmarkDotNet's warm-up iterations then count like measured ones.
        var until = Stopwatch.GetTimestamp() + Stopwatch.Frequency * (BenchConfig.Quick ? 1 : 3) / 5;
        while (Stopwatch.GetTimestamp() < until) _threads.Run(_work);
        _recording = true;
    }

    private void Invoke()
    {
        var start = Stopwatch.GetTimestamp();
        _threads.Run(_work);
        _runTicks += Stopwatch.GetTimestamp() - start;
        _events += (long)_perThreadPerBurst * Threads * BurstsPerInvoke;
    }

    private void Work(int thread)
    {
        var latencies = _latencies[thread];
        for (var burst = 0; burst < BurstsPerInvoke; burst++)
        {
            var offset = _counts[thread];
            var start = (thread * BurstsPerInvoke + burst) * _perThreadPerBurst;
            if (_recording && offset + _perThreadPerBurst <= latencies.Length)
            {
                RecordTimed(_design, start, _perThreadPerBurst, latencies, offset);
                _counts[thread] = offset + _perThreadPerBurst;
            }
            else
            {
                RecordTimed(_design, start, _perThreadPerBurst, latencies, 0);
            }
            Thread.Sleep(1);
        }
    }

    private static void RecordTimed(GatewayDesign design, int start, int count, long[] latencies, int offset)
    {
        var requests = GatewayWorkload.Requests;
        for (var i = 0; i < count; i++)
        {
            ref readonly var r = ref requests[(start + i) & GatewayWorkload.Mask];
            var before = Stopwatch.GetTimestamp();
            design.Record(r);
            latencies[offset + i] = Stopwatch.GetTimestamp() - before;
        }
    }

    private static double Percentile(long[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>The median of back-to-back timestamp pairs: what the timing itself adds to every call.</summary>
    private static long TimerCost()
    {
        var samples = new long[10_001];
        for (var i = 0; i < samples.Length; i++)
        {
            var before = Stopwatch.GetTimestamp();
            samples[i] = Stopwatch.GetTimestamp() - before;
        }
        Array.Sort(samples);
        return samples[samples.Length / 2];
    }

    private sealed class Cfg : ManualConfig
    {
        public Cfg()
        {
            AddJob(BenchConfig.Mutator(fullIterations: 20, quickIterations: 3, fullWarmup: 2, quickWarmup: 1, invocationCount: 1, forceGc: false));
            AddColumn(
                new MetricColumn("P50", "p50 ns", "Median time of one record call (timer included)", "N0"),
                new MetricColumn("P99", "p99 ns", "99th percentile of one record call", "N0"),
                new MetricColumn("P999", "p99.9 ns", "99.9th percentile of one record call", "N0"),
                new MetricColumn("Max", "max us", "Slowest record call, microseconds"),
                new MetricColumn("Rate", "events/s", "Offered load achieved (events recorded / time of the runs, sleeps included)", "N0"),
                new MetricColumn("HeldKB", "Held KB", "Live heap after the runs minus before the design existed"),
                new MetricColumn("Timer", "Timer ns", "Median cost of the timestamp pair around each call", "N0"));
        }
    }
}
