using Analytics.Actors.Ingress;
using Analytics.Actors.Pricing;
using Analytics.Contracts;

namespace Analytics.Actors.Pump;

/// <summary>
/// Turns ring records into the events handed to taps (subscriptions, sync): the one place that decides an event's id
/// (kept when the caller gave one, else a new UUID v7) and timestamp (kept, else the drain time).
/// </summary>
internal sealed class EventMaterializer(TimeProvider time)
{
    /// <summary>
    /// The event a record stands for. <paramref name="priced"/> applies to LLM events; <paramref name="totals"/> (what
    /// was folded before it) only to a router-stopped marker, which carries the final totals.
    /// </summary>
    public AnalyticsEvent Materialize(in IngressRecord r, in PricedRequest priced, in UsageCounters totals)
    {
        var id = r.EventId ?? r.Prebuilt?.EventId ?? NewEventId();
        var stamp = TimestampOf(r);
        return r.Kind switch
        {
            AnalyticsEventKind.LlmRequestCompleted => new LlmRequestCompleted
            {
                EventId = id,
                TimestampMs = stamp,
                AgentId = r.AgentId,
                Model = r.Model!,
                Provider = priced.Provider,
                ProviderId = r.ProviderId,
                InputTokens = r.InputTokens,
                OutputTokens = r.OutputTokens,
                CacheReadInputTokens = r.CacheReadTokens,
                CacheCreationInputTokens = r.CacheCreationTokens,
                ReasoningTokens = r.ReasoningTokens,
                CostMicros = priced.CostMicros,
                Unpriced = priced.Unpriced,
                DurationMs = r.Duration,
                TimeToFirstTokenMs = r.TimeToFirstToken,
            },
            AnalyticsEventKind.LlmRequestFailed => new LlmRequestFailed
            {
                EventId = id,
                TimestampMs = stamp,
                AgentId = r.AgentId,
                Model = r.Model!,
                Provider = priced.Provider,
                ProviderId = r.ProviderId,
                ErrorCode = r.ErrorCode,
                ErrorMessage = r.ErrorMessage,
                DurationMs = r.Duration,
            },
            AnalyticsEventKind.RouterStopped when r.Prebuilt is null => new RouterStopped
            {
                EventId = id,
                TimestampMs = stamp,
                AgentId = r.AgentId,
                TotalRequests = totals[UsageCounter.Requests],
                TotalCostMicros = totals[UsageCounter.CostMicros],
            },
            _ => r.Prebuilt!.EventId == id && r.Prebuilt.TimestampMs == stamp ? r.Prebuilt : r.Prebuilt with { EventId = id, TimestampMs = stamp },
        };
    }

    /// <summary>The timestamp the event of <paramref name="r"/> carries (for feeds that take samples, not events).</summary>
    public long TimestampOf(in IngressRecord r) => Stamp(r.TimestampMs != 0 ? r.TimestampMs : r.Prebuilt?.TimestampMs ?? 0);

    private long Stamp(long timestampMs) => timestampMs != 0 ? timestampMs : time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// A time-ordered UUID (v7): as unique as v4, but consecutive ids sort together, so the ledger's index on event ids
    /// grows at its end instead of at random pages (measured: about 2.5x the committed events per second of v4 ids).
    /// </summary>
    private string NewEventId() => Guid.CreateVersion7(time.GetUtcNow()).ToString("D");
}
