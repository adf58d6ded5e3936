using Analytics.Contracts;

namespace Analytics.Actors.Ingress;

/// <summary>
/// One event as it sits in the ring: a flat struct so that recording allocates nothing. Pricing,
/// provider inference, ids and timestamps are filled in by the pump, off the caller's thread.
/// </summary>
internal struct IngressRecord
{
    /// <summary>Sentinel for "not supplied" in the optional long fields.</summary>
    public const long Absent = -1;

    public AnalyticsEventKind Kind;
    public string? Model;
    /// <summary>Null means "infer from the model name".</summary>
    public string? Provider;
    public string? ProviderId;
    public string? AgentId;
    public string? ErrorCode;
    public string? ErrorMessage;
    /// <summary>Caller-supplied id (replayed logs), else null and assigned by the pump on demand.</summary>
    public string? EventId;
    /// <summary>Lifecycle and pre-built events that carry fields the flat layout does not.</summary>
    public AnalyticsEvent? Prebuilt;
    public long InputTokens;
    public long OutputTokens;
    public long CacheReadTokens;
    public long CacheCreationTokens;
    public long ReasoningTokens;
    /// <summary><see cref="Absent"/> means "price it from the catalog".</summary>
    public long CostMicros;
    /// <summary>0 means "stamp when drained".</summary>
    public long TimestampMs;
    public long DurationMs;
    public long TimeToFirstTokenMs;

    /// <summary>The token counts as a <see cref="TokenUsage"/>.</summary>
    public readonly TokenUsage Usage => new(InputTokens, OutputTokens, CacheReadTokens, CacheCreationTokens, ReasoningTokens);

    /// <summary>The duration, or null when none was supplied.</summary>
    public readonly long? Duration => DurationMs >= 0 ? DurationMs : null;

    /// <summary>The time to first token, or null when none was supplied.</summary>
    public readonly long? TimeToFirstToken => TimeToFirstTokenMs >= 0 ? TimeToFirstTokenMs : null;
}
