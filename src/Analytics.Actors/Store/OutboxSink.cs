using Analytics.Actors.Sync;
using Analytics.Contracts;
using Microsoft.Extensions.Logging;

namespace Analytics.Actors.Store;

/// <summary>
/// The sync sink of the outbox: delivers a batch through the configured sink (the Protocol 012 HTTP sink, used as is)
/// one event per call, so each event's outcome is known, with at most <c>perBatch</c> in flight; then marks the
/// acknowledged events delivered (202, 200) and the refused ones rejected (4xx) in one transaction. Events given up on
/// stay undelivered in the ledger for a later pass or run.
/// </summary>
internal sealed class OutboxSink(ISyncSink inner, LedgerOutbox outbox, LedgerWriter writer, int perBatch, ILogger log) : ISyncSink
{
    /// <inheritdoc />
    public async Task<BatchOutcome> DeliverAsync(IReadOnlyList<AnalyticsEvent> batch, CancellationToken cancellationToken)
    {
        var outcomes = new BatchOutcome[batch.Count];
        try
        {
            // No cancellation token for the loop itself: on shutdown the inner sink settles each event fast, as undelivered.
            await Parallel.ForEachAsync(Enumerable.Range(0, batch.Count), new ParallelOptions { MaxDegreeOfParallelism = perBatch },
                async (i, _) => outcomes[i] = await DeliverOneAsync(batch[i], cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);

            var marks = new List<(string, Delivery)>(batch.Count);
            var total = default(BatchOutcome);
            for (var i = 0; i < batch.Count; i++)
            {
                var o = outcomes[i];
                total += o;
                if (o.Delivered > 0) marks.Add((batch[i].EventId!, Delivery.Delivered));
                else if (o.Rejected > 0) marks.Add((batch[i].EventId!, Delivery.Rejected));
            }
            await MarkAsync(marks).ConfigureAwait(false);
            return total;
        }
        finally
        {
            var gaveUp = false;
            foreach (var o in outcomes) gaveUp |= o.Undelivered > 0 || o.Count == 0;
            outbox.Settled(batch.Count, gaveUp && !cancellationToken.IsCancellationRequested);
        }
    }

    private async Task<BatchOutcome> DeliverOneAsync(AnalyticsEvent e, CancellationToken cancellationToken)
    {
        try
        {
            return await inner.DeliverAsync([e], cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            log.LogError(ex, "Sync from the store: delivering event {EventId} failed unexpectedly; it stays undelivered in the ledger", e.EventId);
            return BatchOutcome.AllUndelivered(1);
        }
    }

    private async Task MarkAsync(List<(string, Delivery)> marks)
    {
        if (marks.Count == 0) return;
        try
        {
            await writer.MarkAsync(marks).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The server has them; unmarked they are sent again later and answered 200 duplicate. Nothing is lost.
            log.LogError(ex, "Sync from the store: {Count} delivery marks could not be written to {Path}; those events will be sent again",
                marks.Count, writer.Database.Path);
        }
    }
}
