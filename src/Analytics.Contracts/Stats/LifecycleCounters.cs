namespace Analytics.Contracts;

/// <summary>Counts of the non-LLM events.</summary>
/// <param name="BudgetThresholdsReached">Budget threshold events.</param>
/// <param name="RouterStarts">Router started events.</param>
/// <param name="RouterStops">Router stopped events.</param>
public sealed record LifecycleCounters(long BudgetThresholdsReached, long RouterStarts, long RouterStops);
