using System.Threading.Channels;
using Analytics.Actors.Ingress;
using Analytics.Contracts;

namespace Analytics.Actors.Sync;

/// <summary>How the events of one batch ended. Duplicates are part of delivered, unauthorized part of rejected.</summary>
/// <param name="Delivered">Events the server holds (202 accepted or 200 duplicate).</param>
/// <param name="Duplicates">Of <paramref name="Delivered"/>, the 200 duplicates.</param>
/// <param name="Rejected">Events refused permanently (4xx).</param>
/// <param name="Unauthorized">Of <paramref name="Rejected"/>, the 401s and the events not sent after one.</param>
/// <param name="Undelivered">Events given up on (retry budget spent, shutdown).</param>
internal readonly record struct BatchOutcome(int Delivered, int Duplicates, int Rejected, int Unauthorized, int Undelivered)
{
    /// <summary>Events the outcome accounts for.</summary>
    public int Count => Delivered + Rejected + Undelivered;

    /// <summary>A batch none of whose events was delivered.</summary>
    public static BatchOutcome AllUndelivered(int count) => new(0, 0, 0, 0, count);

    /// <summary>The sum of two outcomes (the outbox adds up the per-event outcomes of a batch).</summary>
    public static BatchOutcome operator +(BatchOutcome a, BatchOutcome b) => new(
        a.Delivered + b.Delivered, a.Duplicates + b.Duplicates, a.Rejected + b.Rejected, a.Unauthorized + b.Unauthorized, a.Undelivered + b.Undelivered);
}

/// <summary>
/// The sync counters, shared between the delivery stream (which settles batches), the HTTP sink (which counts retries
/// as they happen) and readers (the stats, <see cref="SyncStatus"/>). Reads are lock-free; settling and closing take a
/// small lock, once per batch, so that the close at shutdown and a late batch can never count the same event twice.
/// </summary>
internal sealed class SyncMetrics
{
    private readonly object _gate = new();
    private Func<long> _handed = static () => 0;
    private Func<long> _dropped = static () => 0;
    private EventTap? _tap;
    private ChannelReader<AnalyticsEvent>? _queue;
    private int _queueCapacity;
    private DeadLetterFile? _deadLetters;
    private long _delivered, _duplicates, _rejected, _unauthorized, _undelivered, _retried;
    private bool _closed;

    /// <summary>Connects the queue's tap, whose counts are <c>HandedToSync</c> and <c>SyncDropped</c>.</summary>
    /// <param name="tap">The pump's side of the queue.</param>
    /// <param name="queue">The stream's side of the queue, for <see cref="HasRoom"/>; null when nobody waits for room.</param>
    /// <param name="capacity">The queue's capacity.</param>
    public void Attach(EventTap tap, ChannelReader<AnalyticsEvent>? queue = null, int capacity = 0)
    {
        _queue = queue;
        _queueCapacity = capacity;
        Volatile.Write(ref _tap, tap);
        Attach(() => tap.Accepted, () => tap.Dropped);
    }

    /// <summary>Connects another feed (the store's outbox): what it handed to the pipeline, and what it refused.</summary>
    public void Attach(Func<long> handed, Func<long> dropped)
    {
        Volatile.Write(ref _dropped, dropped);
        Volatile.Write(ref _handed, handed);
    }

    /// <summary>Connects the dead-letter file, whose failed writes are <c>DeadLetterWriteFailures</c>.</summary>
    public void Attach(DeadLetterFile deadLetters) => Volatile.Write(ref _deadLetters, deadLetters);

    /// <summary>
    /// For a producer that can wait (replay, batch import) and is the only one recording: true when one more LLM event
    /// can be recorded without the sync queue refusing it later. Counted are the events recorded but not yet offered to
    /// the queue (in the ring or the pump) plus those waiting in the queue; they must stay below its capacity. An event
    /// being written into the queue may count twice for a moment, which only errs on the side of waiting.
    /// </summary>
    /// <param name="llmEventsRecorded">LLM events the producer has had accepted by the recorder so far.</param>
    public bool HasRoom(long llmEventsRecorded)
    {
        var tap = Volatile.Read(ref _tap);
        if (tap is null || _queue is null) return true;
        var notYetOffered = llmEventsRecorded - tap.Accepted - tap.Dropped;
        return notYetOffered + _queue.Count < _queueCapacity;
    }

    /// <summary>Counts one retry attempt (thread-safe, lock-free).</summary>
    public void CountRetry() => Interlocked.Increment(ref _retried);

    /// <summary>Counts how a batch ended.</summary>
    /// <param name="outcome">The outcome.</param>
    public void Settle(BatchOutcome outcome)
    {
        lock (_gate)
        {
            // After the close every unsettled event was already counted as undelivered: a late result moves it out again.
            if (_closed) Interlocked.Add(ref _undelivered, -outcome.Count);
            Interlocked.Add(ref _delivered, outcome.Delivered);
            Interlocked.Add(ref _duplicates, outcome.Duplicates);
            Interlocked.Add(ref _rejected, outcome.Rejected);
            Interlocked.Add(ref _unauthorized, outcome.Unauthorized);
            Interlocked.Add(ref _undelivered, outcome.Undelivered);
        }
    }

    /// <summary>
    /// Closes the books at shutdown: every event handed to sync and not settled yet counts as undelivered. Call it only
    /// once the queue can take no more events (tap removed, writer completed). Idempotent.
    /// </summary>
    /// <returns>How many events were still pending and are now counted as undelivered (0 on a second call).</returns>
    public long Close()
    {
        lock (_gate)
        {
            if (_closed) return 0;
            _closed = true;
            var pending = Pending(Volatile.Read(ref _handed)());
            Interlocked.Add(ref _undelivered, pending);
            return pending;
        }
    }

    /// <summary>A consistent enough snapshot: the identity <c>HandedToSync = Delivered + Rejected + Undelivered + Pending</c> holds by construction.</summary>
    /// <returns>The counters.</returns>
    public SyncCounters Snapshot()
    {
        lock (_gate)
        {
            var handed = Volatile.Read(ref _handed)();
            return new SyncCounters(
                HandedToSync: handed,
                Delivered: Volatile.Read(ref _delivered),
                Duplicates: Volatile.Read(ref _duplicates),
                Rejected: Volatile.Read(ref _rejected),
                RetriedAttempts: Volatile.Read(ref _retried),
                SyncDropped: Volatile.Read(ref _dropped)(),
                Undelivered: Volatile.Read(ref _undelivered),
                Pending: Pending(handed),
                Unauthorized: Volatile.Read(ref _unauthorized),
                DeadLetterWriteFailures: Volatile.Read(ref _deadLetters)?.FailedWrites ?? 0);
        }
    }

    private long Pending(long handed) =>
        handed - Volatile.Read(ref _delivered) - Volatile.Read(ref _rejected) - Volatile.Read(ref _undelivered);
}
