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
