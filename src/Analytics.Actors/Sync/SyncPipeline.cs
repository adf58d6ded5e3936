using Akka;
using Akka.Streams.Dsl;
using Analytics.Contracts;

namespace Analytics.Actors.Sync;

/// <summary>
/// The delivery graph as composable stages, so it can be tested alone with stream probes:
/// only LLM events, batched by size or time, several batches delivered at once, one outcome per batch as each settles.
/// </summary>
internal static class SyncPipeline
{
    /// <summary>
    /// <c>Where(IsLlmEvent) -> GroupedWithin(batchSize, interval) -> SelectAsyncUnordered(parallelism, deliver)</c>.
    /// Unordered because outcomes are only counted: a batch whose events are backing off must not hold the
    /// finished batches behind it in the parallelism window (head-of-line blocking after a fault burst).
    /// A delivery that throws is not allowed to fail the stream: its batch counts as undelivered and the stream goes on.
    /// </summary>
    /// <param name="batchSize">Most events per batch; a full batch goes at once.</param>
    /// <param name="interval">Longest time the first event of a batch waits for the batch to fill.</param>
    /// <param name="parallelism">Batches in delivery at the same time.</param>
    /// <param name="deliver">Delivers one batch.</param>
    /// <returns>The flow.</returns>
    public static Flow<AnalyticsEvent, BatchOutcome, NotUsed> DeliveryFlow(
        int batchSize, TimeSpan interval, int parallelism, Func<IReadOnlyList<AnalyticsEvent>, Task<BatchOutcome>> deliver)
        => Flow.Create<AnalyticsEvent>()
            .Where(static e => e.IsLlmEvent)
            .GroupedWithin(batchSize, interval)
            .SelectAsyncUnordered(parallelism, batch => SafeDeliver(batch, deliver));

    /// <summary>Appends the delivery stages to <paramref name="source"/>; see <see cref="DeliveryFlow"/>.</summary>
    /// <typeparam name="TMat">The source's materialized value.</typeparam>
    /// <param name="source">Events, typically from the sync queue.</param>
    /// <param name="batchSize">Most events per batch.</param>
    /// <param name="interval">Longest wait for a batch to fill.</param>
    /// <param name="parallelism">Batches in delivery at the same time.</param>
    /// <param name="deliver">Delivers one batch.</param>
    /// <returns>One outcome per batch, in the order the batches settle.</returns>
    public static Source<BatchOutcome, TMat> ViaDelivery<TMat>(this Source<AnalyticsEvent, TMat> source,
        int batchSize, TimeSpan interval, int parallelism, Func<IReadOnlyList<AnalyticsEvent>, Task<BatchOutcome>> deliver)
        => source.Via(DeliveryFlow(batchSize, interval, parallelism, deliver));

    private static async Task<BatchOutcome> SafeDeliver(IEnumerable<AnalyticsEvent> batch, Func<IReadOnlyList<AnalyticsEvent>, Task<BatchOutcome>> deliver)
    {
        var events = batch as IReadOnlyList<AnalyticsEvent> ?? batch.ToArray();
        try
        {
            return await deliver(events).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // A failed SelectAsync task would fail the whole stream and strand everything queued behind it.
            return BatchOutcome.AllUndelivered(events.Count);
        }
    }
}
