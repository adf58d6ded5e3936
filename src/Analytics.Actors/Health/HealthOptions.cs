using Analytics.Actors.Hosting;

namespace Analytics.Actors;

/// <summary>
/// Thresholds of the <c>usage-analytics</c> health check, bound from <c>Analytics:Health</c>. Register the check with
/// <c>services.AddHealthChecks().AddUsageAnalytics()</c>.
/// </summary>
public sealed class HealthOptions
{
    /// <summary>
    /// How long a drop keeps the check Degraded: events dropped (ring full, sync queue full, store queue full) within
    /// this window before a check make it Degraded. Default 00:01:00; 00:00:01..1.00:00:00.
    /// </summary>
    public TimeSpan DropWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Sync events queued or in flight above which the check is Degraded. Default 5,000; 1..100,000,000.</summary>
    public long SyncBacklogThreshold { get; set; } = 5_000;

    /// <summary>Store events waiting to be written above which the check is Degraded. Default 5,000; 1..100,000,000.</summary>
    public long StoreQueueThreshold { get; set; } = 5_000;

    /// <summary>
    /// How long the pump may take to answer the check's ping before it counts as not running (Unhealthy). Default
    /// 00:00:02; 00:00:00.010..00:01:00.
    /// </summary>
    public TimeSpan PumpTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Returns a copy.</summary>
    /// <returns>A member-wise copy.</returns>
    public HealthOptions Clone() => (HealthOptions)MemberwiseClone();

    /// <summary>Checks the thresholds; one message per problem, naming the key, the range and the value.</summary>
    internal static void Validate(HealthOptions options, OptionErrors errors)
    {
        errors.Duration("DropWindow", options.DropWindow, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        errors.Range("SyncBacklogThreshold", options.SyncBacklogThreshold, 1, 100_000_000);
        errors.Range("StoreQueueThreshold", options.StoreQueueThreshold, 1, 100_000_000);
        errors.Duration("PumpTimeout", options.PumpTimeout, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(1));
    }
}
