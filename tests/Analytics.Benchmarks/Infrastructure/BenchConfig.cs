using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace Analytics.Benchmarks.Infrastructure;

/// <summary>
/// The two run modes. Full: BenchmarkDotNet's default out-of-process job (one fresh process per case,
/// so no case inherits another's JIT state, threads or heap). Quick (<c>--quick</c>): in-process, few
/// iterations, short iteration time: a smoke check that every benchmark still runs (its numbers are
/// indicative only).
/// </summary>
internal static class BenchConfig
{
    /// <summary>Set by <c>Program</c> before BenchmarkDotNet reads the classes' <c>[Config]</c>.</summary>
    public static bool Quick { get; set; }

    public static IConfig Create(bool quick)
    {
        var job = quick
            ? Job.Default.WithId("Quick").WithToolchain(InProcessEmitToolchain.Instance)
                .WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(3).WithIterationTime(TimeInterval.FromMilliseconds(100))
            // Call counting from the start (the default waits until no new method was jitted for
            // 100 ms): the measured loops are promoted to tier-1 code with PGO during warm-up instead
            // of part-way through, or never, in runs that last a few hundred milliseconds. See
            // Workload.InChunks.
            : Job.Default.WithId("Full").WithEnvironmentVariables(
                new EnvironmentVariable("DOTNET_TC_CallCountingDelayMs", "0"),
                // Where benchmarks leave the figures they measure themselves (see BenchMetrics).
                new EnvironmentVariable(BenchMetrics.EnvironmentVariable, BenchMetrics.Folder));
        return DefaultConfig.Instance
            .AddJob(job.AsDefault())
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithOptions(ConfigOptions.DisableLogFile | (quick ? ConfigOptions.DisableOptimizationsValidator : ConfigOptions.Default));
    }

    /// <summary>
    /// Per-class job settings, applied on top of the run mode's job. <paramref name="invocationCount"/>
    /// of 1 makes each iteration exactly one benchmark call, which is what per-iteration setup and
    /// per-call latency percentiles need.
    /// </summary>
    public static Job Mutator(int fullIterations, int quickIterations, int fullWarmup, int quickWarmup, int? invocationCount = null, bool forceGc = true)
    {
        var job = new Job("Tuned")
            .WithIterationCount(Quick ? quickIterations : fullIterations)
            .WithWarmupCount(Quick ? quickWarmup : fullWarmup)
            .WithGcForce(forceGc);
        if (invocationCount is { } n) job = job.WithInvocationCount(n).WithUnrollFactor(1);
        return job.AsMutator();
    }
}

/// <summary>The members every custom column here answers the same way.</summary>
internal abstract class CustomColumn : IColumn
{
    public abstract string Id { get; }
    public abstract string ColumnName { get; }
    public abstract ColumnCategory Category { get; }
    public abstract int PriorityInCategory { get; }
    public abstract UnitType UnitType { get; }
    public abstract string Legend { get; }
    public bool AlwaysShow => true;
    public bool IsNumeric => true;
    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);
    public abstract string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style);
}

/// <summary>A latency percentile of the per-iteration measurements (BenchmarkDotNet ships P0..P100 but no P99).</summary>
internal sealed class PercentileColumn(int percentile) : CustomColumn
{
    public override string Id => $"{nameof(PercentileColumn)}.P{percentile}";
    public override string ColumnName => $"P{percentile}";
    public override ColumnCategory Category => ColumnCategory.Statistics;
    public override int PriorityInCategory => 100 + percentile;
    public override UnitType UnitType => UnitType.Time;
    public override string Legend => $"Percentile {percentile}: {percentile}% of the iterations (one call each here) took no longer than this";

    public override string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var stats = summary[benchmarkCase]?.ResultStatistics;
        if (stats is null) return "NA";
        var ns = stats.Percentiles.Percentile(percentile);
        var unit = style.TimeUnit ?? TimeUnit.GetBestTimeUnit(ns);
        return $"{TimeUnit.Convert(ns, TimeUnit.Nanosecond, unit).ToString("N2", style.CultureInfo)} {unit.Abbreviation}";
    }
}

/// <summary>Allocated bytes per op divided by a fixed number of buffered events.</summary>
internal sealed class BytesPerEventColumn(int events) : CustomColumn
{
    public override string Id => nameof(BytesPerEventColumn);
    public override string ColumnName => "B/event";
    public override ColumnCategory Category => ColumnCategory.Metric;
    public override int PriorityInCategory => 10;
    public override UnitType UnitType => UnitType.Dimensionless;
    public override string Legend => $"Allocated bytes divided by the {events:N0} events the structure holds";

    public override string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        if (report is null) return "NA";
        var bytes = report.GcStats.GetBytesAllocatedPerOperation(benchmarkCase);
        return bytes is { } b ? ((double)b / events).ToString("N1", style.CultureInfo) : "NA";
    }
}
