using System.Runtime.CompilerServices;
using Analytics.Contracts;

namespace Analytics.Actors.Ingress;

/// <summary>
/// Fills ring records. The LLM calls fill a claimed slot in place. A slot still holds an earlier event (the consumer
/// never writes a record's lines, see <see cref="IngressShard"/>), so every field is written; a null written as a
/// constant costs no GC write barrier.
/// </summary>
internal static class SlotWriter
{
    /// <summary>A completed request, over whatever the slot held.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Completed(ref IngressRecord r, string model, in TokenUsage usage, in RequestAttribution attribution,
        in RequestTiming timing, long? costMicros, in EventIdentity identity)
    {
        Common(ref r, AnalyticsEventKind.LlmRequestCompleted, model, attribution, timing.DurationMs, identity);
        r.InputTokens = usage.Input;
        r.OutputTokens = usage.Output;
        r.CacheReadTokens = usage.CacheRead;
        r.CacheCreationTokens = usage.CacheCreation;
        r.ReasoningTokens = usage.Reasoning;
        r.CostMicros = costMicros ?? IngressRecord.Absent;
        r.TimeToFirstTokenMs = timing.TimeToFirstTokenMs ?? IngressRecord.Absent;
        r.ErrorCode = null;
        r.ErrorMessage = null;
    }

    /// <summary>A failed request, over whatever the slot held.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Failed(ref IngressRecord r, string model, in RequestAttribution attribution, in RequestFailure failure,
        in RequestTiming timing, in EventIdentity identity)
    {
        Common(ref r, AnalyticsEventKind.LlmRequestFailed, model, attribution, timing.DurationMs, identity);
        Store(ref r.ErrorCode, failure.ErrorCode);
        Store(ref r.ErrorMessage, failure.ErrorMessage);
        r.InputTokens = 0;
        r.OutputTokens = 0;
        r.CacheReadTokens = 0;
        r.CacheCreationTokens = 0;
        r.ReasoningTokens = 0;
        r.CostMicros = IngressRecord.Absent;
        r.TimeToFirstTokenMs = IngressRecord.Absent;
    }

    /// <summary>
    /// A pre-built event. LLM events are flattened like the recorder's own calls (a completed one keeps a reference to
    /// itself so the pump can keep its <c>Unpriced</c> flag); lifecycle events ride whole.
    /// </summary>
    public static IngressRecord Prebuilt(AnalyticsEvent e)
    {
        var r = default(IngressRecord);
        var attribution = e switch
        {
            LlmRequestCompleted c => new RequestAttribution { AgentId = c.AgentId, Provider = c.Provider, ProviderId = c.ProviderId },
            LlmRequestFailed f => new RequestAttribution { AgentId = f.AgentId, Provider = f.Provider, ProviderId = f.ProviderId },
            _ => default,
        };
        var identity = RecordValidator.IdentityOf(e);
        switch (e)
        {
            case LlmRequestCompleted c:
                Completed(ref r, c.Model, RecordValidator.UsageOf(c), attribution,
                    new RequestTiming { DurationMs = c.DurationMs, TimeToFirstTokenMs = c.TimeToFirstTokenMs }, c.CostMicros, identity);
                // Kept so the pump keeps its Unpriced flag.
                r.Prebuilt = c;
                break;
            case LlmRequestFailed f:
                Failed(ref r, f.Model, attribution, new RequestFailure { ErrorCode = f.ErrorCode, ErrorMessage = f.ErrorMessage },
                    new RequestTiming { DurationMs = f.DurationMs }, identity);
                break;
            default:
                r = new IngressRecord
                {
                    Kind = e.Kind, Prebuilt = e, AgentId = e.AgentId, EventId = e.EventId, TimestampMs = e.TimestampMs, CostMicros = IngressRecord.Absent,
                };
                break;
        }
        return r;
    }

    /// <summary>A router-stopped marker: the pump fills in the totals when it drains it.</summary>
    public static IngressRecord RouterStopped() => new() { Kind = AnalyticsEventKind.RouterStopped, CostMicros = IngressRecord.Absent };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Common(ref IngressRecord r, AnalyticsEventKind kind, string model, in RequestAttribution attribution, long? durationMs,
        in EventIdentity identity)
    {
        r.Kind = kind;
        r.Model = model;
        Store(ref r.Provider, attribution.Provider);
        Store(ref r.ProviderId, attribution.ProviderId);
        Store(ref r.AgentId, attribution.AgentId);
        Store(ref r.EventId, identity.EventId);
        r.Prebuilt = null;
        r.DurationMs = durationMs ?? IngressRecord.Absent;
        r.TimestampMs = identity.TimestampMs;
    }

    /// <summary>A null stored as a constant needs no GC write barrier; most optional strings are null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref string? field, string? value)
    {
        if (value is null) field = null;
        else field = value;
    }
}
