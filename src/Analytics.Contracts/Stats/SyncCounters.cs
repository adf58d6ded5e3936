namespace Analytics.Contracts;

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
/// <param name="DeadLetterWriteFailures">
/// Dead-letter entries that could not be written (disk full, file removed or made read-only after start): those events
/// stay counted as rejected or undelivered, but their entry is lost.
/// </param>
/// <remarks>
/// Every counter counts events (or attempts) one at a time as a <see cref="long"/>: its ceiling, 2^63 - 1, is out of
/// reach (a billion events a second would take 292 years), so these are plain sums, not saturating ones.
/// </remarks>
public sealed record SyncCounters(long HandedToSync, long Delivered, long Duplicates, long Rejected, long RetriedAttempts, long SyncDropped, long Undelivered, long Pending,
    long Unauthorized = 0, long DeadLetterWriteFailures = 0);
