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

/// <summary>
/// The ingress ring's accounting: <c>Accepted = Folded + Pending</c>, and every record call is either
/// accepted, dropped (ring full) or rejected (invalid input).
/// </summary>
/// <param name="Accepted">Events written into the ring.</param>
/// <param name="Dropped">Events dropped because the ring was full.</param>
/// <param name="Rejected">Record calls refused for invalid input (negative tokens, empty model...).</param>
/// <param name="Folded">Events drained and folded into the stats.</param>
/// <param name="Pending">Events in the ring, not folded yet (0 right after a stats Ask).</param>
/// <param name="SubscriberDropped">Event copies a full streaming subscription could not take.</param>
public sealed record IngressCounters(long Accepted, long Dropped, long Rejected, long Folded, long Pending, long SubscriberDropped);

/// <summary>Counts of the non-LLM events.</summary>
/// <param name="BudgetThresholdsReached">Budget threshold events.</param>
/// <param name="RouterStarts">Router started events.</param>
/// <param name="RouterStops">Router stopped events.</param>
public sealed record LifecycleCounters(long BudgetThresholdsReached, long RouterStarts, long RouterStops);

/// <summary>
/// Sync accounting. Every event the sync queue took ends in exactly one of delivered, rejected or undelivered, and
/// until then it is pending: <c>HandedToSync = Delivered + Rejected + Undelivered + Pending</c> at every snapshot, with
/// <c>Pending = 0</c> after the shutdown flush. <see cref="SyncDropped"/> events never entered the queue (it was full)
/// and are counted apart. <see cref="Duplicates"/> is part of <see cref="Delivered"/>, <see cref="Unauthorized"/> part
/// of <see cref="Rejected"/>.
/// </summary>
/// <param name="HandedToSync">Events the pump offered to the sync queue and it took.</param>
/// <param name="Delivered">Events the server holds: accepted (202) or already stored (200 duplicate).</param>
/// <param name="Duplicates">Of <see cref="Delivered"/>, events the server answered with 200 duplicate (an earlier attempt had stored them).</param>
/// <param name="Rejected">Events refused permanently (400 and other 4xx, 401 included); not retried, dead-lettered.</param>
/// <param name="RetriedAttempts">HTTP attempts that were retries of an earlier attempt of the same event.</param>
/// <param name="SyncDropped">Events not taken because the sync queue was full.</param>
/// <param name="Undelivered">Events given up on: retry budget spent, or still unsent when the shutdown flush timed out; dead-lettered.</param>
/// <param name="Pending">Events queued or in flight right now.</param>
/// <param name="Unauthorized">Of <see cref="Rejected"/>, events refused with 401 or not sent because the token had been refused.</param>
public sealed record SyncCounters(long HandedToSync, long Delivered, long Duplicates, long Rejected, long RetriedAttempts, long SyncDropped, long Undelivered, long Pending, long Unauthorized = 0);
