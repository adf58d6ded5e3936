namespace Analytics.Contracts;

/// <summary>
/// A consistent snapshot of everything folded so far, as returned by an Ask of
/// <see cref="UsageQueries.GetStats"/>. It reflects every record call that returned before the
/// Ask was sent, and <c>Totals == sum(ByModel) == sum(ByProvider)</c> always holds for the counters (the latency
/// percentiles, which do not add up, are each row's own). Its breakdown has the shape of the
/// stored history's (<see cref="UsageHistory"/>), so one report writer serves both.
/// </summary>
public sealed record UsageStats : UsageBreakdown
{
    /// <summary>Ingress counters at the time of the snapshot.</summary>
    public required IngressCounters Ingress { get; init; }

    /// <summary>Lifecycle and budget events seen.</summary>
    public required LifecycleCounters Lifecycle { get; init; }

    /// <summary>Sync pipeline counters, or null when sync is off.</summary>
    public SyncCounters? Sync { get; init; }

    /// <summary>When the snapshot was taken.</summary>
    public DateTimeOffset AsOf { get; init; }
}
