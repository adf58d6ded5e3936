using System.Runtime.CompilerServices;
using Analytics.Contracts;

namespace Analytics.Actors.Ingress;

/// <summary>
/// The one rule set for what the recorder accepts. Token counts are checked by <see cref="TokenUsage.Validate"/>
/// (shared with every other entry point); this adds the fields that only a recorded request has, and the size limits
/// every entry point shares (the usage-log parser quotes the same constants). Each check returns null when the input
/// is fine, else a message naming the field and the value.
/// </summary>
/// <remarks>
/// Only O(1) rules live here (signs, ranges, string lengths), because the hot path runs them on every call. Rules that
/// must look at every character (unpaired surrogates, control characters) run where input enters as text (the
/// usage-log parser) or off the hot path (the sync serializer refuses an unsendable string as a counted, dead-lettered
/// rejection).
/// </remarks>
internal static class RecordValidator
{
    /// <summary>Longest model, provider, provider id, agent id, event id and error code, in UTF-16 characters.</summary>
    public const int MaxNameLength = 256;

    /// <summary>Longest error message, in UTF-16 characters.</summary>
    public const int MaxErrorMessageLength = 8_192;

    /// <summary>The largest timestamp: 9999-12-31T23:59:59.999Z, the last instant a <see cref="DateTimeOffset"/> holds.</summary>
    public const long MaxTimestampMs = 253_402_300_799_999;

    /// <summary>
    /// The hot path's check: true when <see cref="Completed"/>, <see cref="Attribution"/> and <see cref="Identity"/>
    /// would all accept the input, in a few comparisons with no call. When it says false, the slow path asks them for
    /// the message. It must accept exactly what those accept (a property spec checks it on random inputs).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool QuickCompleted(string? model, in TokenUsage usage, long? costMicros, in RequestTiming timing, in RequestAttribution attribution,
        in EventIdentity identity)
    {
        // Every count and optional value must be >= 0: OR-ing them keeps the sign bit of any negative one.
        var signs = usage.Input | usage.Output | usage.CacheRead | usage.CacheCreation | usage.Reasoning
                    | costMicros.GetValueOrDefault() | timing.DurationMs.GetValueOrDefault() | timing.TimeToFirstTokenMs.GetValueOrDefault();
        // Compared by subtraction, as TokenUsage.Validate does, so two huge counts cannot overflow into a false pass.
        return signs >= 0 && QuickModel(model) && usage.CacheRead <= usage.Input - usage.CacheCreation && usage.Reasoning <= usage.Output
               && QuickAttribution(attribution) && QuickIdentity(identity);
    }

    /// <summary>The hot path's check for a failed request; see <see cref="QuickCompleted"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool QuickFailed(string? model, in RequestTiming timing, in RequestAttribution attribution, in RequestFailure failure,
        in EventIdentity identity)
        => (timing.DurationMs.GetValueOrDefault() | timing.TimeToFirstTokenMs.GetValueOrDefault()) >= 0
           && QuickModel(model) && QuickAttribution(attribution) && QuickIdentity(identity)
           && ((Length(failure.ErrorCode) <= MaxNameLength) & (Length(failure.ErrorMessage) <= MaxErrorMessageLength));

    /// <summary>A completed request.</summary>
    public static string? Completed(string? model, in TokenUsage usage, long? costMicros, in RequestTiming timing)
        => Model(model) ?? usage.Validate() ?? NonNegative("cost_micros", costMicros) ?? Timing(timing);

    /// <summary>A failed request.</summary>
    public static string? Failed(string? model, in RequestTiming timing, in RequestFailure failure)
        => Model(model) ?? Timing(timing) ?? Name("error_code", failure.ErrorCode) ?? TooLong("error_message", failure.ErrorMessage, MaxErrorMessageLength);

    /// <summary>The agent, provider and provider id of a request: each at most <see cref="MaxNameLength"/> characters.</summary>
    public static string? Attribution(in RequestAttribution attribution)
        => Name("agent_id", attribution.AgentId) ?? Name("provider", attribution.Provider) ?? Name("provider_id", attribution.ProviderId);

    /// <summary>
    /// An identity the caller supplies. An empty id could never be sent (Protocol 012 requires one) or stored, so it
    /// is refused here rather than failing later, far from its cause.
    /// </summary>
    public static string? Identity(in EventIdentity identity)
    {
        if (identity.EventId is { Length: 0 }) return "event_id must be null (assigned) or a non-empty string";
        return Name("event_id", identity.EventId) ?? Timestamp(identity.TimestampMs);
    }

    /// <summary>A timestamp in Unix milliseconds: 0 (stamp it when drained) up to <see cref="MaxTimestampMs"/>.</summary>
    public static string? Timestamp(long timestampMs) => timestampMs switch
    {
        < 0 => $"timestamp_ms must be >= 0 (got {timestampMs})",
        > MaxTimestampMs => $"timestamp_ms must be <= {MaxTimestampMs} (9999-12-31T23:59:59.999Z) (got {timestampMs})",
        _ => null,
    };

    /// <summary>A pre-built event, checked with the same rules as the recorder's own calls.</summary>
    public static string? Prebuilt(AnalyticsEvent? e) => e switch
    {
        null => "event must not be null",
        LlmRequestCompleted c => Completed(c.Model, UsageOf(c), c.CostMicros, new RequestTiming { DurationMs = c.DurationMs, TimeToFirstTokenMs = c.TimeToFirstTokenMs })
            ?? Provider(c.Provider) ?? Attribution(AttributionOf(c.AgentId, c.Provider, c.ProviderId)) ?? Identity(IdentityOf(c)),
        LlmRequestFailed f => Failed(f.Model, new RequestTiming { DurationMs = f.DurationMs }, new RequestFailure { ErrorCode = f.ErrorCode, ErrorMessage = f.ErrorMessage })
            ?? Provider(f.Provider) ?? Attribution(AttributionOf(f.AgentId, f.Provider, f.ProviderId)) ?? Identity(IdentityOf(f)),
        _ => Name("agent_id", e.AgentId) ?? Identity(IdentityOf(e)),
    };

    /// <summary>The token counts of a completed event.</summary>
    public static TokenUsage UsageOf(LlmRequestCompleted c)
        => new(c.InputTokens, c.OutputTokens, c.CacheReadInputTokens, c.CacheCreationInputTokens, c.ReasoningTokens);

    /// <summary>The identity an event carries.</summary>
    public static EventIdentity IdentityOf(AnalyticsEvent e) => new() { EventId = e.EventId, TimestampMs = e.TimestampMs };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool QuickModel(string? model) => model is not null && (uint)(model.Length - 1) < MaxNameLength;

    // Non-short-circuit '&': three length loads and compares, no branch per field.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool QuickAttribution(in RequestAttribution a)
        => (Length(a.AgentId) <= MaxNameLength) & (Length(a.Provider) <= MaxNameLength) & (Length(a.ProviderId) <= MaxNameLength);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool QuickIdentity(in EventIdentity identity)
        => (ulong)identity.TimestampMs <= MaxTimestampMs && (identity.EventId is null || (uint)(identity.EventId.Length - 1) < MaxNameLength);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Length(string? s) => s is null ? 0 : s.Length;

    private static RequestAttribution AttributionOf(string? agentId, string? provider, string? providerId)
        => new() { AgentId = agentId, Provider = provider, ProviderId = providerId };

    private static string? Model(string? model)
        => string.IsNullOrEmpty(model) ? "model must be a non-empty string" : TooLong("model", model, MaxNameLength);

    private static string? Provider(string? provider) => string.IsNullOrEmpty(provider) ? "provider must be a non-empty string" : null;

    private static string? Name(string field, string? value) => TooLong(field, value, MaxNameLength);

    private static string? TooLong(string field, string? value, int max)
        => value is not null && value.Length > max ? $"{field} must be at most {max} characters (got {value.Length})" : null;

    private static string? Timing(in RequestTiming timing)
        => NonNegative("duration_ms", timing.DurationMs) ?? NonNegative("time_to_first_token_ms", timing.TimeToFirstTokenMs);

    private static string? NonNegative(string field, long? value) => value < 0 ? $"{field} must be >= 0 (got {value})" : null;
}
