using Analytics.Contracts;
using Microsoft.Extensions.Logging;

namespace Analytics.Actors.Store;

/// <summary>
/// Commits one batch for the writer stream, retrying until it commits: a locked, full or briefly unavailable disk
/// must not lose events, so a failing batch is logged and retried with back-off (the stream, and so the queue behind
/// it, waits; if the queue fills, the pump counts <c>store_dropped</c>). Only when <c>stop</c> fires (the shutdown flush
/// timed out) is a still-failing batch given up and counted as failed. Never throws into the stream.
/// </summary>
internal sealed class BatchCommitter(LedgerWriter writer, StoreMetrics metrics, Delivery delivery, Action? onPendingCommitted, ILogger log)
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);

    /// <summary>Commits <paramref name="batch"/>; completes when it is settled (committed, or given up on at <paramref name="stop"/>).</summary>
    public async Task<int> CommitAsync(IReadOnlyList<AnalyticsEvent> batch, CancellationToken stop)
    {
        var delay = FirstDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var written = await writer.WriteAsync(batch, delivery).ConfigureAwait(false);
                metrics.Committed(written);
                if (attempt > 1) log.LogInformation("Store: the batch of {Count} events committed on attempt {Attempt}", batch.Count, attempt);
                if (written.Inserted > 0) onPendingCommitted?.Invoke();
                return batch.Count;
            }
            catch (Exception e)
            {
                metrics.WriteFailed(e);
                // Every failure is retried: SQLite busy or I/O errors clear up, and a defect must not kill the stream.
                if (attempt == 1 || attempt % 20 == 0)
                    log.LogError(e, "Store: a batch of {Count} events failed to commit to {Path} (attempt {Attempt}); retrying in up to {MaxDelay}",
                        batch.Count, writer.Database.Path, attempt, MaxDelay);
            }
            try
            {
                await Task.Delay(delay, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                metrics.GaveUp(batch.Count);
                log.LogError("Store: gave up on a batch of {Count} events after {Attempts} failed commits (shutdown); they count as failed", batch.Count, attempt);
                return batch.Count;
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
        }
    }
}
