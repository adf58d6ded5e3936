namespace Analytics.Contracts;

/// <summary>
/// Store accounting since the process started. Every event the store queue took ends in exactly one of inserted,
/// duplicate, expired or failed, and until then it is pending:
/// <c>HandedToStore = Inserted + Duplicates + Expired + Failed + Pending</c>, with <c>Pending = 0</c> after the
/// shutdown flush. <see cref="StoreDropped"/> events never entered the queue (it was full) and are counted apart.
/// </summary>
/// <param name="HandedToStore">LLM events the pump offered to the store queue and it took.</param>
/// <param name="Inserted">Events committed to the ledger for the first time (and counted in the rollups).</param>
/// <param name="Duplicates">Events whose id the ledger already held: not stored or counted again.</param>
/// <param name="Expired">
/// Events older than the retention horizon whose id the ledger no longer holds: not stored, because the ledger can no
/// longer tell whether they were counted before.
/// </param>
/// <param name="Failed">Events of batches that could not be committed before the shutdown flush gave up on them.</param>
/// <param name="StoreDropped">Events not taken because the store queue was full (the writer could not keep up).</param>
/// <param name="Pending">Events queued or in a transaction right now.</param>
public sealed record StoreCounters(long HandedToStore, long Inserted, long Duplicates, long Expired, long Failed, long StoreDropped, long Pending);
