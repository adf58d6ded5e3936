namespace Analytics.Contracts;

/// <summary>
/// The counters of a usage row, listed once. Everything that handles a row (the pump's per-batch
/// accumulator, <see cref="UsageRow"/>, the reports' JSON, the store's rollup columns) iterates this
/// list, so adding a counter is one new member here; its snake_case name
/// (<see cref="UsageCounters.Name"/>) is derived from the member name. Members are only ever added at
/// the end: their order is the order of fields in the JSON report.
/// </summary>
public enum UsageCounter
{
    /// <summary>Requests, completed plus failed.</summary>
    Requests,

    /// <summary>Failed requests (a subset of <see cref="Requests"/>).</summary>
    Failed,

    /// <summary>Prompt tokens, cached ones included.</summary>
    InputTokens,

    /// <summary>Completion tokens, reasoning ones included.</summary>
    OutputTokens,

    /// <summary>Prompt tokens read from the prompt cache (part of <see cref="InputTokens"/>).</summary>
    CacheReadInputTokens,

    /// <summary>Prompt tokens written to the prompt cache (part of <see cref="InputTokens"/>).</summary>
    CacheCreationInputTokens,

    /// <summary>Reasoning tokens (part of <see cref="OutputTokens"/>).</summary>
    ReasoningTokens,

    /// <summary>Cost in integer microdollars.</summary>
    CostMicros,

    /// <summary>Completed requests whose model had no price and that carried no cost: they cost 0.</summary>
    UnpricedRequests,

    /// <summary>Sum of the durations (ms) of the requests that carried one.</summary>
    DurationMsSum,

    /// <summary>Requests that carried a duration.</summary>
    DurationSamples,

    /// <summary>Sum of the times to first token (ms) of the requests that carried one.</summary>
    TimeToFirstTokenMsSum,

    /// <summary>Requests that carried a time to first token.</summary>
    TimeToFirstTokenSamples,
}
