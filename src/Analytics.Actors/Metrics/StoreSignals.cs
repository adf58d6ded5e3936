namespace Analytics.Actors.Metrics;

/// <summary>
/// What the store (the SQLite ledger writer) reports to the meter and the health check, read at collection or check
/// time. Counters are totals since start.
/// </summary>
/// <param name="Written">Events committed to the ledger.</param>
/// <param name="Duplicates">Events the ledger already held (same event id), ignored.</param>
/// <param name="WriteFailures">Write transactions that failed.</param>
/// <param name="Dropped">Events the store's queue refused (full).</param>
/// <param name="Queued">Events waiting to be written right now.</param>
/// <param name="WriteError">Why the latest write failed, or null when the latest write succeeded.</param>
internal readonly record struct StoreSignals(long Written, long Duplicates, long WriteFailures, long Dropped, long Queued, string? WriteError);

/// <summary>Implemented by the store writer so the meter and the health check can read its signals.</summary>
internal interface IStoreSignals
{
    /// <summary>The signals right now; called from any thread, must not block.</summary>
    StoreSignals Read();
}

/// <summary>
/// The hook between the store and its observers: a DI singleton (registered by <c>AddUsageAnalytics</c>) that the store
/// attaches itself to when it starts (<c>resolver.GetService&lt;StoreSignalsSource&gt;()?.Attach(writer)</c>), the way
/// sync attaches its counters to <see cref="SyncStatus"/>. Before that, or without a store, it reads null and the
/// store instruments and health reasons stay silent.
/// </summary>
internal sealed class StoreSignalsSource
{
    private IStoreSignals? _store;

    /// <summary>True once a store attached.</summary>
    public bool Attached => Volatile.Read(ref _store) is not null;

    /// <summary>Called once by the store when it starts.</summary>
    public void Attach(IStoreSignals store) => Volatile.Write(ref _store, store ?? throw new ArgumentNullException(nameof(store)));

    /// <summary>The store's signals, or null without a store.</summary>
    public StoreSignals? Read() => Volatile.Read(ref _store)?.Read();
}
