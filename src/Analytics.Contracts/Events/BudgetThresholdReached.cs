namespace Analytics.Contracts;

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
