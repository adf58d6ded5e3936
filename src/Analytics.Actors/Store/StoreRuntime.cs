using Akka.Actor;
using Akka.Hosting;
using Analytics.Actors.Ingress;
using Analytics.Actors.Pump;
using Analytics.Contracts;

namespace Analytics.Actors.Store;

/// <summary>
/// The store of one service provider: the ledger file, opened once (at host start, so a bad file stops the start with
/// its reason) and shared with <c>WithUsageAnalytics</c>; and, once the actors run, the running store.
/// </summary>
internal sealed class StoreRuntime : IDisposable
{
    private readonly object _gate = new();
    private LedgerDatabase? _db;
    private volatile Running? _running;

    /// <summary>The running store, or null while it is off or not started.</summary>
    public Running? Current => _running;

    /// <summary>The ledger at <paramref name="options"/>' path, opened on first use.</summary>
    /// <exception cref="InvalidOperationException">The file cannot be used as a ledger.</exception>
    public LedgerDatabase Open(StoreOptions options)
    {
        lock (_gate)
        {
            var path = options.FullPath;
            if (_db is not null && _db.Path == path) return _db;
            if (_db is not null)
                throw new InvalidOperationException($"The usage ledger was already opened at '{_db.Path}'; WithUsageAnalytics asked for '{path}'. " +
                                                    $"Set {AnalyticsOptions.SectionName}:Store:Path in one place.");
            return _db = LedgerDatabase.Open(path);
        }
    }

    /// <summary>Called by the registration once the writer runs.</summary>
    public void MarkStarted(Running running) => _running = running;

    /// <summary>Closes the ledger file (after the actor system terminated).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _running?.Writer.Dispose();
            _db?.Dispose();
        }
    }

    /// <summary>The running store and what its readers need.</summary>
    /// <param name="Writer">The ledger writer.</param>
    /// <param name="Metrics">The store counters.</param>
    /// <param name="Registry">Where the pump and the query actor are found.</param>
    /// <param name="Options">The options the actors run with.</param>
    /// <param name="QueueCapacity">Events the store queue holds.</param>
    /// <param name="Queued">Events in the store queue right now.</param>
    /// <param name="Time">The clock (the end of an open window).</param>
    internal sealed record Running(LedgerWriter Writer, StoreMetrics Metrics, IActorRegistry Registry, AnalyticsOptions Options, int QueueCapacity,
        Func<int> Queued, TimeProvider Time)
    {
        /// <summary>
        /// True when the store queue has room for <paramref name="inFlight"/> more events (those in the ring, which the
        /// pump will hand over, plus the caller's next ones) and a margin for the event the pump may hold between the
        /// ring and the queue: a producer that can wait (replay) waits while this is false, so it never makes the store
        /// drop. (A queue of fewer than four events has no margin.)
        /// </summary>
        public bool HasRoom(long inFlight) => Queued() + inFlight + Math.Min(64, QueueCapacity / 4) <= QueueCapacity;

        /// <summary>The commit barrier: the pump drains to its tails, then the writer settles up to there.</summary>
        public async Task<StoreCommit> WhenCommittedAsync(StoreCounters? since, CancellationToken cancellationToken)
        {
            var dropped = since?.StoreDropped ?? Metrics.Dropped;
            var failed = since?.Failed ?? Metrics.Failed;
            if (!Registry.TryGet<IngressPumpActor>(out var pump)) throw new InvalidOperationException("Usage analytics is not running: no pump.");
            // The stats Ask drains every shard to its tail, handing every event recorded before it to the taps.
            await pump.Ask<UsageStats>(UsageQueries.GetStats.Instance, Options.AskTimeout, cancellationToken).ConfigureAwait(false);
            var target = Metrics.Handed;
            await Metrics.WhenSettled(target, cancellationToken).ConfigureAwait(false);
            return new StoreCommit(target, Metrics.Dropped - dropped, Metrics.Failed - failed);
        }

        /// <summary>The barrier, then the query on a reader connection.</summary>
        public async Task<UsageHistory> QueryAsync(UsageQueries.GetUsage query, CancellationToken cancellationToken)
        {
            // Bounded like the asker's wait, so a writer stuck on a failing disk does not pile up waiting queries.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Options.AskTimeout);
            await WhenCommittedAsync(null, timeout.Token).ConfigureAwait(false);
            var now = Time.GetUtcNow();
            return await Task.Run(() =>
            {
                using var reader = Writer.Database.OpenReader();
                return LedgerReader.Usage(reader, query, now);
            }, cancellationToken).ConfigureAwait(false);
        }
    }
}
