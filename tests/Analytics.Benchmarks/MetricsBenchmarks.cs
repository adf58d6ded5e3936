using System.Diagnostics.Metrics;
using Akka.Actor;
using Analytics.Actors;
using Analytics.Actors.Metrics;
using Analytics.Actors.Pricing;
using Analytics.Benchmarks.Infrastructure;
using Analytics.Contracts;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Analytics.Benchmarks;

/// <summary>
/// Benchmark 7a: what the <c>Analytics.Usage</c> meter costs the pump. The pump writes one <c>MeterSample</c> per request
/// into a per-batch buffer and hands the buffer to the meter's queue once per batch; a task of its own measures them
/// (benchmark 7b). No event object, no id.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><see cref="Fold"/>: <see cref="Events"/> requests recorded by one producer and folded by the real pump and its
/// aggregators, and an Ask that sees them all (Mean is time per event). <see cref="Metrics"/> <c>off</c> is the pump
/// alone (no meter), <c>meter</c> adds the feed and its reader with nobody listening, <c>meter+sdk</c> has the
/// OpenTelemetry SDK aggregating every instrument. The reader runs meanwhile, competing for the 2 cores.</item>
/// <item><see cref="FoldUntilMeasured"/>: the same, then a wait until the meter measured every request: the whole
/// cost of the metrics, end to end. The meter's queue holds <see cref="Events"/> here, so a burst measures every
/// request instead of counting drops.</item>
/// </list>
/// </remarks>
[Config(typeof(PumpFold.Config))]
public class MetricsPumpBenchmarks
{
    public const int Events = PumpFold.Events;

    private ServiceProvider? _services;
    private MeterProvider? _sdk;
    private MetricsPipeline? _pipeline;
    private PumpFold _fold = null!;

    [Params("off", "meter", "meter+sdk")]
    public string Metrics { get; set; } = "off";

    [GlobalSetup]
    public void Setup()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = _services.GetRequiredService<IMeterFactory>();
        _fold = new PumpFold("metrics", _ => new RequestTiming { DurationMs = 840 }, recorder =>
        {
            if (Metrics != "off") _pipeline = MetricsPipeline.Start(recorder, factory, new MetricsOptions { QueueCapacity = Events });
        });
        if (Metrics == "meter+sdk") _sdk = MeterBenchmarks.Sdk();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public long Fold() => _fold.Run().Totals.Requests;

    [Benchmark(OperationsPerInvoke = Events)]
    public long FoldUntilMeasured()
    {
        var folded = Fold();
        if (_pipeline is null) return folded;
        var spin = new SpinWait();
        while (_pipeline.Measured < _fold.Recorded) spin.SpinOnce();
        return folded;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _fold.Dispose();
        _pipeline?.StopAsync().Wait(TimeSpan.FromSeconds(10));
        _sdk?.Dispose();
        _services?.Dispose();
    }

}

/// <summary>
/// Benchmark 7b: the metrics reader's work for one completed request's sample (two token histograms, duration, time to
/// first chunk, cost, cache-read tokens, the request counter), with nobody listening and with the OpenTelemetry SDK
/// aggregating every instrument. Per request; it runs on the reader's task, never on a caller's thread or the pump's.
/// </summary>
[Config(typeof(Cfg))]
public class MeterBenchmarks
{
    private const int PerInvoke = 4_096;

    private ServiceProvider? _services;
    private MeterProvider? _sdk;
    private UsageMeter _meter = null!;
    private MeterSample[] _samples = [];

    [Params("none", "sdk")]
    public string Listener { get; set; } = "none";

    /// <summary>The SDK as an exporter-backed host runs it: every instrument of the meter aggregated, exported every 60 s.</summary>
    internal static MeterProvider Sdk() => OpenTelemetry.Sdk.CreateMeterProviderBuilder()
        .AddMeter(UsageInstruments.MeterName)
        .AddInMemoryExporter(new List<Metric>(), reader => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 60_000)
        .Build();

    [GlobalSetup]
    public void Setup()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _meter = new UsageMeter(_services.GetRequiredService<IMeterFactory>(), new MetricsOptions(), new UsageSignals(new UsageRecorder(), null, null, () => 0));
        if (Listener == "sdk") _sdk = Sdk();
        _samples = Array.ConvertAll(Workload.Requests, r => new MeterSample
        {
            Model = r.Model, Provider = r.Provider, InputTokens = r.InputTokens, OutputTokens = r.OutputTokens,
            CacheReadTokens = r.InputTokens / 2, CostMicros = r.CostMicros, DurationMs = 840, TimeToFirstTokenMs = 210,
        });
    }

    [Benchmark(OperationsPerInvoke = PerInvoke)]
    public void MeasureOneEvent()
    {
        var samples = _samples;
        for (var i = 0; i < PerInvoke; i++) _meter.Measure(samples[i & Workload.Mask]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sdk?.Dispose();
        _services?.Dispose();
    }

    private sealed class Cfg : ManualConfig
    {
        public Cfg() => AddJob(BenchConfig.Mutator(fullIterations: 15, quickIterations: 3, fullWarmup: 5, quickWarmup: 1));
    }
}
