using System.Collections.Immutable;

namespace Analytics.Contracts;

/// <summary>
/// A consistent snapshot of everything folded so far, as returned by an Ask of
/// <see cref="UsageQueries.GetStats"/>. It reflects every record call that returned before the
/// Ask was sent, and <c>Totals == sum(ByModel) == sum(ByProvider)</c> always holds.
/// </summary>
public sealed record UsageStats
{
    /// <summary>All LLM requests together.</summary>
    public required UsageRow Totals { get; init; }

    /// <summary>Per model name as recorded.</summary>
    public required ImmutableDictionary<string, UsageRow> ByModel { get; init; }

    /// <summary>Per canonical provider.</summary>
    public required ImmutableDictionary<string, UsageRow> ByProvider { get; init; }

    /// <summary>Per agent, only for events that carried an agent id.</summary>
    public required ImmutableDictionary<string, UsageRow> ByAgent { get; init; }

    /// <summary>Ingress counters at the time of the snapshot.</summary>
    public required IngressCounters Ingress { get; init; }

    /// <summary>Lifecycle and budget events seen.</summary>
    public required LifecycleCounters Lifecycle { get; init; }

    /// <summary>Sync pipeline counters, or null when sync is off.</summary>
    public SyncCounters? Sync { get; init; }

    /// <summary>When the snapshot was taken.</summary>
    public DateTimeOffset AsOf { get; init; }
}
