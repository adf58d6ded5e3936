namespace Analytics.Contracts;

/// <summary>
/// Usage of one key (a model, a provider, an agent, or everything): an immutable, shareable
/// <see cref="UsageCounters"/> plus the values derived from it. Failed requests count in
/// <see cref="Requests"/> and in <see cref="Failed"/>.
/// </summary>
public sealed record UsageRow
{
    /// <summary>A row with every count at zero.</summary>
    public static readonly UsageRow Empty = new();

    /// <summary>Creates a row of zeros.</summary>
    public UsageRow()
    {
    }

    /// <summary>Creates a row holding <paramref name="counters"/>.</summary>
    /// <param name="counters">The counters.</param>
    public UsageRow(in UsageCounters counters) => Counters = counters;

    /// <summary>Every counter of the row.</summary>
    public UsageCounters Counters { get; init; }

    /// <summary>p50, p90, p95 and p99 of the durations of the requests that carried one, or null when none did.</summary>
    public LatencyPercentiles? DurationMsPercentiles { get; init; }

    /// <summary>p50, p90, p95 and p99 of the times to first token of the requests that carried one, or null when none did.</summary>
    public LatencyPercentiles? TimeToFirstTokenMsPercentiles { get; init; }

    /// <summary>The value of one counter.</summary>
    /// <param name="counter">Which counter.</param>
    public long this[UsageCounter counter] => Counters[counter];

    /// <summary>Requests, completed plus failed.</summary>
    public long Requests => Counters[UsageCounter.Requests];

    /// <summary>Failed requests (a subset of <see cref="Requests"/>).</summary>
    public long Failed => Counters[UsageCounter.Failed];

    /// <summary>Prompt tokens, cached ones included.</summary>
    public long InputTokens => Counters[UsageCounter.InputTokens];

    /// <summary>Completion tokens, reasoning ones included.</summary>
    public long OutputTokens => Counters[UsageCounter.OutputTokens];

    /// <summary>Prompt tokens read from the prompt cache.</summary>
    public long CacheReadInputTokens => Counters[UsageCounter.CacheReadInputTokens];

    /// <summary>Prompt tokens written to the prompt cache.</summary>
    public long CacheCreationInputTokens => Counters[UsageCounter.CacheCreationInputTokens];

    /// <summary>Reasoning tokens.</summary>
    public long ReasoningTokens => Counters[UsageCounter.ReasoningTokens];

    /// <summary>Cost in integer microdollars.</summary>
    public long CostMicros => Counters[UsageCounter.CostMicros];

    /// <summary>Completed requests whose model had no price and that carried no cost: they cost 0 here.</summary>
    public long UnpricedRequests => Counters[UsageCounter.UnpricedRequests];

    /// <summary>Sum of the durations over the requests that carried one.</summary>
    public long DurationMsSum => Counters[UsageCounter.DurationMsSum];

    /// <summary>How many requests carried a duration.</summary>
    public long DurationSamples => Counters[UsageCounter.DurationSamples];

    /// <summary>Sum of time-to-first-token over the requests that carried one.</summary>
    public long TimeToFirstTokenMsSum => Counters[UsageCounter.TimeToFirstTokenMsSum];

    /// <summary>How many requests carried a time-to-first-token.</summary>
    public long TimeToFirstTokenSamples => Counters[UsageCounter.TimeToFirstTokenSamples];

    /// <summary>Completed requests.</summary>
    public long Succeeded => Requests - Failed;

    /// <summary>Input plus output tokens (saturating, like every counter).</summary>
    public long TotalTokens => UsageCounters.SaturatingAdd(InputTokens, OutputTokens);

    /// <summary>Cost in US dollars, for display only (accounting stays in micros).</summary>
    public decimal CostUsd => CostMicros / 1_000_000m;

    /// <summary>Completed / all requests as a ratio in 0..1; 0 when there were no requests.</summary>
    public double SuccessRate => Requests == 0 ? 0 : (double)Succeeded / Requests;

    /// <summary>Average cost per request in micros; 0 when there were no requests.</summary>
    public double AverageCostMicrosPerRequest => Requests == 0 ? 0 : (double)CostMicros / Requests;

    /// <summary>Average tokens per request; 0 when there were no requests.</summary>
    public double AverageTokensPerRequest => Requests == 0 ? 0 : ((double)InputTokens + OutputTokens) / Requests;

    /// <summary>Average duration over the requests that carried one, or null.</summary>
    public double? AverageDurationMs => DurationSamples == 0 ? null : (double)DurationMsSum / DurationSamples;

    /// <summary>Average time-to-first-token over the requests that carried one, or null.</summary>
    public double? AverageTimeToFirstTokenMs => TimeToFirstTokenSamples == 0 ? null : (double)TimeToFirstTokenMsSum / TimeToFirstTokenSamples;

    /// <summary>Counter-by-counter sum of two rows (saturating). Percentiles do not add up: the sum carries none.</summary>
    /// <param name="other">The row to add.</param>
    /// <returns>A new row.</returns>
    public UsageRow Add(UsageRow other) => new(Counters + other.Counters);
}
