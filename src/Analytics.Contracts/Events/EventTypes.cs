namespace Analytics.Contracts;

/// <summary>
/// The <c>event_type</c> strings of the two LLM events, as Protocol 012 and usage logs write them, and of the budget
/// threshold event the budget webhook posts. Defined once so the wire format, the log parser and the store agree.
/// </summary>
public static class EventTypes
{
    /// <summary><c>event_type</c> of a completed request.</summary>
    public const string LlmRequestCompleted = "llm_request_completed";

    /// <summary><c>event_type</c> of a failed request.</summary>
    public const string LlmRequestFailed = "llm_request_failed";

    /// <summary><c>event_type</c> of a budget threshold event (the budget webhook's body).</summary>
    public const string BudgetThresholdReached = "budget_threshold_reached";
}
