namespace Analytics.Contracts;

/// <summary>The kind of an <see cref="AnalyticsEvent"/>; mirrors the reference crate's five payloads.</summary>
public enum AnalyticsEventKind : byte
{
    /// <summary>An LLM request that completed and consumed tokens.</summary>
    LlmRequestCompleted = 1,

    /// <summary>An LLM request that failed.</summary>
    LlmRequestFailed = 2,

    /// <summary>A spend budget crossed one of its thresholds.</summary>
    BudgetThresholdReached = 3,

    /// <summary>The router (or gateway) hosting the recorder started.</summary>
    RouterStarted = 4,

    /// <summary>The router stopped; carries the final totals.</summary>
    RouterStopped = 5,
}

/// <summary>
/// Base of every analytics event. Events handed out by a subscription or the sync pipeline always
/// carry an <see cref="EventId"/> and a <see cref="TimestampMs"/>; the pump assigns them when the
/// caller did not, once, so retries of the same event keep the same id.
/// </summary>
public abstract record AnalyticsEvent
{
    /// <summary>Unique id (a UUID v4 string unless the caller supplied its own). Null until assigned.</summary>
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

/// <summary>
/// A completed LLM request. Cache counts are parts of <see cref="InputTokens"/>; reasoning tokens
/// are part of <see cref="OutputTokens"/> (see <see cref="TokenUsage"/>).
/// </summary>
public sealed record LlmRequestCompleted : AnalyticsEvent
{
    /// <inheritdoc />
    public override AnalyticsEventKind Kind => AnalyticsEventKind.LlmRequestCompleted;

    /// <summary>Model name as the caller sent it, for example <c>gpt-4o</c>.</summary>
    public required string Model { get; init; }

    /// <summary>Canonical lowercase provider, for example <c>openai</c>.</summary>
    public required string Provider { get; init; }

    /// <summary>Provider key identifier, for example <c>ip_openai-001</c>.</summary>
    public string? ProviderId { get; init; }

    /// <summary>All prompt tokens, cached ones included.</summary>
    public long InputTokens { get; init; }

    /// <summary>All completion tokens, reasoning ones included.</summary>
    public long OutputTokens { get; init; }

    /// <summary>Prompt tokens served from the provider's prompt cache (part of <see cref="InputTokens"/>).</summary>
    public long CacheReadInputTokens { get; init; }

    /// <summary>Prompt tokens written to the provider's prompt cache (part of <see cref="InputTokens"/>).</summary>
    public long CacheCreationInputTokens { get; init; }

    /// <summary>Reasoning tokens (part of <see cref="OutputTokens"/>).</summary>
    public long ReasoningTokens { get; init; }

    /// <summary>Cost in integer microdollars (1 USD = 1,000,000).</summary>
    public long CostMicros { get; init; }

    /// <summary>True when no price was known for the model and the caller supplied no cost: cost is 0.</summary>
    public bool Unpriced { get; init; }

    /// <summary>Wall time of the whole request in milliseconds, if measured.</summary>
    public long? DurationMs { get; init; }

    /// <summary>Time to the first streamed token in milliseconds, if measured.</summary>
    public long? TimeToFirstTokenMs { get; init; }
}

/// <summary>A failed LLM request. It counts as a request of its model, provider and agent.</summary>
public sealed record LlmRequestFailed : AnalyticsEvent
{
    /// <inheritdoc />
    public override AnalyticsEventKind Kind => AnalyticsEventKind.LlmRequestFailed;

    /// <summary>Model name as the caller sent it.</summary>
    public required string Model { get; init; }

    /// <summary>Canonical lowercase provider.</summary>
    public required string Provider { get; init; }

    /// <summary>Provider key identifier, if any.</summary>
    public string? ProviderId { get; init; }

    /// <summary>Machine-readable error code, for example <c>rate_limit</c>.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>Human-readable error message.</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>Wall time until the failure in milliseconds, if measured.</summary>
    public long? DurationMs { get; init; }
}

/// <summary>A budget crossed a threshold. Stays local: Protocol 012 does not accept it.</summary>
public sealed record BudgetThresholdReached : AnalyticsEvent
{
    /// <inheritdoc />
    public override AnalyticsEventKind Kind => AnalyticsEventKind.BudgetThresholdReached;

    /// <summary>The threshold crossed, in percent of the budget (for example 80).</summary>
    public int ThresholdPercent { get; init; }

    /// <summary>Spend so far in microdollars.</summary>
    public long CurrentSpendMicros { get; init; }

    /// <summary>The budget in microdollars.</summary>
    public long BudgetMicros { get; init; }
}

/// <summary>The router started listening.</summary>
public sealed record RouterStarted : AnalyticsEvent
{
    /// <inheritdoc />
    public override AnalyticsEventKind Kind => AnalyticsEventKind.RouterStarted;

    /// <summary>The port the router listens on.</summary>
    public int Port { get; init; }
}

/// <summary>
/// The router stopped. When recorded through the recorder the totals are captured by the pump
/// and include every event recorded before the stop call returned.
/// </summary>
public sealed record RouterStopped : AnalyticsEvent
{
    /// <inheritdoc />
    public override AnalyticsEventKind Kind => AnalyticsEventKind.RouterStopped;

    /// <summary>All LLM requests (completed + failed) folded before the stop.</summary>
    public long TotalRequests { get; init; }

    /// <summary>Total cost in microdollars folded before the stop.</summary>
    public long TotalCostMicros { get; init; }
}
