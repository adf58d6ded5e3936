namespace Analytics.Contracts;

/// <summary>
/// A budget crossed a threshold. Recorded once per threshold per window by the budget evaluator (configured under
/// <c>Analytics:Budgets</c>), or by a caller through <c>RecordBudgetThreshold</c>. Stays local: Protocol 012 does not
/// accept it.
/// </summary>
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

    /// <summary>The name of the configured budget that crossed the threshold, or null when a caller recorded the event itself.</summary>
    public string? BudgetName { get; init; }

    /// <summary>Start of the budget's window the spend belongs to (Unix milliseconds, UTC), or 0 when not known.</summary>
    public long WindowStartMs { get; init; }
}
