namespace Analytics.Contracts;

/// <summary>
/// Percentiles of a latency in milliseconds, from a mergeable sketch kept per row by the aggregators: each value is within
/// 1 % of the exact value of its rank (<c>floor(q × (n − 1))</c> among the requests that carried the latency, in
/// ascending order); the lowest and highest ranks are exact. Percentiles do not add up: a sum of rows
/// (<see cref="UsageRow.Add"/>) carries none.
/// </summary>
/// <param name="P50">The median.</param>
/// <param name="P90">The 90th percentile.</param>
/// <param name="P95">The 95th percentile.</param>
/// <param name="P99">The 99th percentile.</param>
public sealed record LatencyPercentiles(double P50, double P90, double P95, double P99);
