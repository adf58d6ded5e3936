using System.Collections.Immutable;

namespace Analytics.Contracts;

/// <summary>
/// One budget in its current window, as last published by the budget evaluator: what was spent, the limit, and which
/// thresholds were crossed. An immutable snapshot; reading it never waits for anything.
/// </summary>
public sealed record BudgetStatus
{
    /// <summary>The budget's name (its configuration key under <c>Analytics:Budgets</c>).</summary>
    public required string Name { get; init; }

    /// <summary>What the budget counts.</summary>
    public required BudgetScope Scope { get; init; }

    /// <summary>The agent id, model or provider counted; <c>*</c> counts every request.</summary>
    public required string ScopeValue { get; init; }

    /// <summary>The budget's period.</summary>
    public required BudgetWindow Window { get; init; }

    /// <summary>Start of the current window (UTC, inclusive).</summary>
    public required DateTimeOffset WindowStart { get; init; }

    /// <summary>End of the current window (UTC, exclusive): when the spend starts again from zero.</summary>
    public required DateTimeOffset WindowEnd { get; init; }

    /// <summary>Priced cost, in microdollars, of the completed requests counted by the budget whose timestamp falls in the window.</summary>
    public required long SpentMicros { get; init; }

    /// <summary>The limit in microdollars.</summary>
    public required long LimitMicros { get; init; }

    /// <summary>The configured thresholds in percent of the limit, ascending.</summary>
    public required ImmutableArray<int> Thresholds { get; init; }

    /// <summary>The thresholds crossed in this window, ascending (each one is announced once per window).</summary>
    public required ImmutableArray<int> ThresholdsCrossed { get; init; }

    /// <summary>
    /// True when the spend may be too low: since the window started, events reached the budget evaluator's queue while it
    /// was full and were not counted (they still count in the stats and the store).
    /// </summary>
    public bool Incomplete { get; init; }

    /// <summary>When the evaluator published this status.</summary>
    public required DateTimeOffset AsOf { get; init; }

    /// <summary>The spend in percent of the limit (above 100 once the limit is passed).</summary>
    public double Percent => LimitMicros <= 0 ? 0 : SpentMicros * 100d / LimitMicros;

    /// <summary>True once the spend reached the limit: a gateway enforcing the budget refuses further requests until <see cref="WindowEnd"/>.</summary>
    public bool LimitReached => SpentMicros >= LimitMicros;

    /// <summary>What is left of the limit in microdollars (0 once reached).</summary>
    public long RemainingMicros => LimitReached ? 0 : LimitMicros - SpentMicros;
}
