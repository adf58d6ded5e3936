using System.Globalization;
using System.Text.Json;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Analytics.Benchmarks.Infrastructure;

/// <summary>
/// Figures a benchmark measures itself (per-call latency percentiles, the caller's share of a run, memory held), handed
/// from the benchmark process to the columns of BenchmarkDotNet's summary through one small JSON file per case. The host
/// names the folder in <see cref="EnvironmentVariable"/> for the processes it starts.
/// </summary>
internal static class BenchMetrics
{
    public const string EnvironmentVariable = "ANALYTICS_BENCH_METRICS";

    /// <summary>The folder of this run (the host's choice, or under the current folder when run in-process).</summary>
    public static string Folder => Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } folder
        ? folder
        : Path.GetFullPath(Path.Combine("BenchmarkDotNet.Artifacts", "metrics"));

    /// <summary>Forgets an earlier run's figures, so a case that failed shows NA instead of a stale number.</summary>
    public static void Reset()
    {
        if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
        Directory.CreateDirectory(Folder);
    }

    /// <summary>Leaves the figures of one case, named by its class, method and integer parameter (threads, ...).</summary>
    public static void Write(string type, string method, int parameter, IReadOnlyDictionary<string, double> metrics)
    {
        Directory.CreateDirectory(Folder);
        File.WriteAllText(FileOf(type, method, parameter), JsonSerializer.Serialize(metrics));
        foreach (var (name, value) in metrics) Console.WriteLine($"// metric {name} = {value.ToString("N1", CultureInfo.InvariantCulture)}");
    }

    public static double? Read(BenchmarkCase benchmarkCase, string metric)
    {
        // The case's integer parameter (Threads, RequestsPerKey): the benchmarks that write figures have one at most.
        var parameter = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Value is int)?.Value is int t ? t : 0;
        var file = FileOf(benchmarkCase.Descriptor.Type.Name, benchmarkCase.Descriptor.WorkloadMethod.Name, parameter);
        if (!File.Exists(file)) return null;
        var metrics = JsonSerializer.Deserialize<Dictionary<string, double>>(File.ReadAllText(file));
        return metrics is not null && metrics.TryGetValue(metric, out var value) ? value : null;
    }

    private static string FileOf(string type, string method, int parameter) => Path.Combine(Folder, $"{type}.{method}.{parameter}.json");
}

/// <summary>A column showing one figure of <see cref="BenchMetrics"/>.</summary>
internal sealed class MetricColumn(string metric, string header, string legend, string format = "N1") : CustomColumn
{
    public override string Id => $"{nameof(MetricColumn)}.{metric}";
    public override string ColumnName => header;
    public override ColumnCategory Category => ColumnCategory.Custom;
    public override int PriorityInCategory => 0;
    public override UnitType UnitType => UnitType.Dimensionless;
    public override string Legend => legend;

    public override string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        => BenchMetrics.Read(benchmarkCase, metric) is { } value ? value.ToString(format, style.CultureInfo) : "NA";
}
