using System.Runtime.CompilerServices;
using Analytics.Contracts;

namespace Analytics.Actors.Ingress;

/// <summary>
/// The one rule set for what the recorder accepts. Token counts are checked by <see cref="TokenUsage.Validate"/>
/// (shared with every other entry point); this adds the fields that only a recorded request has. Each check returns
/// null when the input is fine, else a message naming the field and the value.
/// </summary>
internal static class RecordValidator
{
    /// <summary>
    /// The hot path's check: true when <see cref="Completed"/> and <see cref="Identity"/> would both accept the input,
    /// in a few branch-free comparisons with no call. When it says false, the slow path asks <see cref="Completed"/>
    /// for the message. It must accept exactly what those accept (a property spec checks it on random inputs).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool QuickCompleted(string? model, in TokenUsage usage, long? costMicros, in RequestTiming timing, in EventIdentity identity)
    {
        // Every count and optional value must be >= 0: OR-ing them keeps the sign bit of any negative one.
        var signs = usage.Input | usage.Output | usage.CacheRead | usage.CacheCreation | usage.Reasoning
                    | costMicros.GetValueOrDefault() | timing.DurationMs.GetValueOrDefault() | timing.TimeToFirstTokenMs.GetValueOrDefault()
                    | identity.TimestampMs;
        // Compared by subtraction, as TokenUsage.Validate does, so two huge counts cannot overflow into a false pass.
        return signs >= 0 && !string.IsNullOrEmpty(model) && usage.CacheRead <= usage.Input - usage.CacheCreation && usage.Reasoning <= usage.Output
               && identity.EventId is not { Length: 0 };
    }

    /// <summary>The hot path's check for a failed request; see <see cref="QuickCompleted"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool QuickFailed(string? model, in RequestTiming timing, in EventIdentity identity)
        => (timing.DurationMs.GetValueOrDefault() | timing.TimeToFirstTokenMs.GetValueOrDefault() | identity.TimestampMs) >= 0
           && !string.IsNullOrEmpty(model) && identity.EventId is not { Length: 0 };

    /// <summary>A completed request.</summary>
    public static string? Completed(string? model, in TokenUsage usage, long? costMicros, in RequestTiming timing)
        => Model(model) ?? usage.Validate() ?? NonNegative("cost_micros", costMicros) ?? Timing(timing);

    /// <summary>A failed request.</summary>
    public static string? Failed(string? model, in RequestTiming timing) => Model(model) ?? Timing(timing);

    /// <summary>
    /// An identity the caller supplies. An empty id could never be sent (Protocol 012 requires one) or stored, so it
    /// is refused here rather than failing later, far from its cause.
    /// </summary>
    public static string? Identity(in EventIdentity identity)
    {
        if (identity.EventId is { Length: 0 }) return "event_id must be null (assigned) or a non-empty string";
        return identity.TimestampMs < 0 ? $"timestamp_ms must be >= 0 (got {identity.TimestampMs})" : null;
    }

    /// <summary>A pre-built event, checked with the same rules as the recorder's own calls.</summary>
    public static string? Prebuilt(AnalyticsEvent? e) => e switch
    {
        null => "event must not be null",
        LlmRequestCompleted c => Completed(c.Model, UsageOf(c), c.CostMicros, new RequestTiming { DurationMs = c.DurationMs, TimeToFirstTokenMs = c.TimeToFirstTokenMs })
            ?? Provider(c.Provider) ?? Identity(IdentityOf(c)),
        LlmRequestFailed f => Failed(f.Model, new RequestTiming { DurationMs = f.DurationMs }) ?? Provider(f.Provider) ?? Identity(IdentityOf(f)),
        _ => Identity(IdentityOf(e)),
    };

    /// <summary>The token counts of a completed event.</summary>
    public static TokenUsage UsageOf(LlmRequestCompleted c)
        => new(c.InputTokens, c.OutputTokens, c.CacheReadInputTokens, c.CacheCreationInputTokens, c.ReasoningTokens);

    /// <summary>The identity an event carries.</summary>
    public static EventIdentity IdentityOf(AnalyticsEvent e) => new() { EventId = e.EventId, TimestampMs = e.TimestampMs };

    private static string? Model(string? model) => string.IsNullOrEmpty(model) ? "model must be a non-empty string" : null;

    private static string? Provider(string? provider) => string.IsNullOrEmpty(provider) ? "provider must be a non-empty string" : null;

    private static string? Timing(in RequestTiming timing)
        => NonNegative("duration_ms", timing.DurationMs) ?? NonNegative("time_to_first_token_ms", timing.TimeToFirstTokenMs);

    private static string? NonNegative(string field, long? value) => value < 0 ? $"{field} must be >= 0 (got {value})" : null;
}
