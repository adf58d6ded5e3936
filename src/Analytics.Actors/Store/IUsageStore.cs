using Analytics.Contracts;

namespace Analytics.Actors;

/// <summary>
/// The durable ledger from DI (after <c>services.AddUsageAnalytics(configuration)</c>): usage history by time, the
/// store counters, and a commit barrier. Its methods throw <see cref="InvalidOperationException"/> when the store is
/// off (<c>Analytics:Store:Path</c> empty) or the analytics are not running.
/// </summary>
public interface IUsageStore
{
    /// <summary>True once the store runs (a path is configured and the actor system started).</summary>
    bool Enabled { get; }

    /// <summary>The store counters since start, or null when the store is off. Still readable after the host stopped.</summary>
    StoreCounters? Counters { get; }

    /// <summary>
    /// Read-your-writes history: the stored usage of a window, after everything recorded before this call was committed
    /// (the pump drains to its tails and the writer commits up to there). Waits at most <c>Analytics:AskTimeout</c>.
    /// </summary>
    /// <param name="query">The window and bucket width.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The usage of the window.</returns>
    /// <exception cref="TimeoutException">No answer within <c>Analytics:AskTimeout</c>.</exception>
    Task<UsageHistory> GetUsageAsync(UsageQueries.GetUsage query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Completes once every event recorded before this call is settled in the store: committed to the ledger (or found
    /// there already), unless the queue was full (store-dropped) or a batch was given up on; the result counts both
    /// since <paramref name="since"/>. Commits are grouped: many concurrent callers share one transaction.
    /// </summary>
    /// <remarks>
    /// To know whether events of your own made it, read <see cref="Counters"/> before recording them and pass it as
    /// <paramref name="since"/>: a drop is counted, not attributed to an event, so <see cref="StoreCommit.Complete"/>
    /// is then true only when nothing at all was lost since (it may be false for a loss that hit someone else's event).
    /// </remarks>
    /// <param name="since">Counters read before the events of interest were recorded; null counts from this call.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>What was settled, and what was lost since <paramref name="since"/>.</returns>
    Task<StoreCommit> WhenCommittedAsync(StoreCounters? since = null, CancellationToken cancellationToken = default);
}

/// <summary>The answer of <see cref="IUsageStore.WhenCommittedAsync"/>.</summary>
/// <param name="Settled">Events handed to the store since start, all settled now.</param>
/// <param name="StoreDropped">Events refused by the full store queue since the baseline (they may include events recorded after the call).</param>
/// <param name="Failed">Events of batches given up on since the baseline.</param>
public sealed record StoreCommit(long Settled, long StoreDropped, long Failed)
{
    /// <summary>True when nothing was dropped or given up on since the baseline: every event recorded between it and the call is in the ledger.</summary>
    public bool Complete => StoreDropped == 0 && Failed == 0;
}

/// <summary>
/// The <c>ActorRegistry</c> key of the actor that answers <see cref="UsageQueries.GetUsage"/> from the store
/// (<c>registry.Get&lt;UsageLedger&gt;()</c>); registered only when the store is on. Most code uses
/// <see cref="IUsageStore"/> instead.
/// </summary>
public sealed class UsageLedger
{
    private UsageLedger()
    {
    }
}
