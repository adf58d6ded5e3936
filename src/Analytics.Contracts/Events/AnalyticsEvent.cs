namespace Analytics.Contracts;

/// <summary>
/// Base of every analytics event. Events handed out by a subscription or the sync pipeline always
/// carry an <see cref="EventId"/> and a <see cref="TimestampMs"/>; the pump assigns them when the
/// caller did not, once, so retries of the same event keep the same id.
/// </summary>
public abstract record AnalyticsEvent
{
    /// <summary>Unique id (a time-ordered UUID v7 string unless the caller supplied its own). Null until assigned.</summary>
    public string? EventId { get; init; }

    /// <summary>Unix epoch milliseconds. 0 means "not stamped yet"; the pump stamps it.</summary>
    public long TimestampMs { get; init; }

    /// <summary>The agent the event is attributed to, if any.</summary>
    public string? AgentId { get; init; }

    /// <summary>Which of the five kinds this is.</summary>
    public abstract AnalyticsEventKind Kind { get; }

    /// <summary>True for the kinds Protocol 012 accepts (completed and failed LLM requests).</summary>
    public bool IsLlmEvent => Kind is AnalyticsEventKind.LlmRequestCompleted or AnalyticsEventKind.LlmRequestFailed;
}
