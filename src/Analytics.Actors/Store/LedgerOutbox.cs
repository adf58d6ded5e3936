using Akka;
using Akka.Streams.Dsl;
using Akka.Util;
using Analytics.Contracts;

namespace Analytics.Actors.Store;

/// <summary>
/// The sync outbox on the ledger: a source of undelivered ledger rows for the sync pipeline, read page by page only
/// when the pipeline asks for more (so backpressure reaches the disk reads, and nothing waits in memory but what is in
/// delivery), woken by the writer when it committed new rows, and polling as a fallback.
/// </summary>
/// <remarks>
/// <para>A pass walks the undelivered rows in insertion order from a cursor. Rows are never removed or marked before
/// the server answered (<see cref="OutboxSink"/> marks them), so a crash leaves them undelivered and the next run sends
/// them again (the server's deduplication on the event id makes that storage exactly once).</para>
/// <para>Rows given up on in a pass (retry budget spent) stay undelivered; once nothing is in delivery any more, a new
/// pass starts from the beginning after <c>repassDelay</c>, so a long outage is retried without a restart. After
/// <see cref="Complete"/> (the shutdown flush, the <c>sync</c> command) the source ends as soon as it is caught up.</para>
/// </remarks>
internal sealed class LedgerOutbox(LedgerDatabase db, int pageSize, TimeSpan idlePoll, TimeSpan repassDelay)
{
    private readonly SemaphoreSlim _wake = new(0, 1);
    private long _handed, _settled;
    private int _gaveUp, _completing;

    /// <summary>Rows handed to the pipeline (an event given up on and sent again in a later pass counts again).</summary>
    public long Handed => Volatile.Read(ref _handed);

    /// <summary>The pipeline's source; each materialisation starts a new pass.</summary>
    public Source<AnalyticsEvent, NotUsed> Source(CancellationToken stop) =>
        Akka.Streams.Dsl.Source.UnfoldAsync<long, List<(long Seq, AnalyticsEvent Event)>>(0L, cursor => NextPageAsync(cursor, stop))
            .SelectMany(page => page.Select(row => row.Event));

    /// <summary>New rows were committed: read now instead of at the next poll.</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another wake got there first: one is enough.
            }
        }
    }

    /// <summary>End the source once it is caught up (no undelivered row after the cursor).</summary>
    public void Complete()
    {
        Volatile.Write(ref _completing, 1);
        Wake();
    }

    /// <summary>Called by <see cref="OutboxSink"/> when a batch settled.</summary>
    /// <param name="events">Events of the batch.</param>
    /// <param name="gaveUp">True when some were given up on and stay undelivered.</param>
    public void Settled(int events, bool gaveUp)
    {
        if (gaveUp) Volatile.Write(ref _gaveUp, 1);
        Interlocked.Add(ref _settled, events);
    }

    private async Task<Option<(long, List<(long Seq, AnalyticsEvent Event)>)>> NextPageAsync(long cursor, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            List<(long Seq, AnalyticsEvent Event)> page;
            try
            {
                page = await Task.Run(() =>
                {
                    using var reader = db.OpenReader();
                    return LedgerReader.Pending(reader, cursor, pageSize);
                }, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break; // delivery is being stopped (the flush timed out): end the source, it is not a failure
            }
            if (page.Count > 0)
            {
                Interlocked.Add(ref _handed, page.Count);
                return Option<(long, List<(long, AnalyticsEvent)>)>.Create((page[^1].Seq, page));
            }
            if (Volatile.Read(ref _completing) == 1) break;

            var inDelivery = Volatile.Read(ref _handed) - Volatile.Read(ref _settled);
            if (Volatile.Read(ref _gaveUp) == 1 && inDelivery == 0)
            {
                // Everything of this pass settled and some was given up on: go round again, after a pause.
                Volatile.Write(ref _gaveUp, 0);
                cursor = 0;
                await WaitAsync(repassDelay, stop).ConfigureAwait(false);
                continue;
            }
            await WaitAsync(idlePoll, stop).ConfigureAwait(false);
        }
        return Option<(long, List<(long, AnalyticsEvent)>)>.None;
    }

    private async Task WaitAsync(TimeSpan timeout, CancellationToken stop)
    {
        try
        {
            await _wake.WaitAsync(timeout, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the loop sees it.
        }
    }
}
