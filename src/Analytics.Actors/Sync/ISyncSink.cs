using Analytics.Contracts;

namespace Analytics.Actors.Sync;

/// <summary>
/// Where the sync pipeline delivers a batch. An implementation settles every event of the batch as delivered,
/// rejected or undelivered and reports the counts; it never throws for a delivery problem (a throw counts the whole
/// batch as undelivered). When <c>cancellationToken</c> fires (the shutdown flush timed out) it stops promptly and
/// counts what it did not deliver as undelivered.
/// </summary>
internal interface ISyncSink
{
    /// <summary>Delivers one batch.</summary>
    /// <param name="batch">Completed and failed LLM events, each with its final event id.</param>
    /// <param name="cancellationToken">Fires when delivery must stop (shutdown).</param>
    /// <returns>How the batch's events ended; its <see cref="BatchOutcome.Count"/> equals the batch size.</returns>
    Task<BatchOutcome> DeliverAsync(IReadOnlyList<AnalyticsEvent> batch, CancellationToken cancellationToken);
}
