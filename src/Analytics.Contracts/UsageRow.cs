namespace Analytics.Contracts;

/// <summary>
/// Usage of one key (a model, a provider, an agent, or everything). Immutable; rows are combined
/// with <see cref="Add"/>. Failed requests count in <see cref="Requests"/> and in <see cref="Failed"/>.
/// </summary>
public sealed record UsageRow
{
    /// <summary>A row with every count at zero.</summary>
    public static readonly UsageRow Empty = new();

    /// <summary>Requests, completed plus failed.</summary>
    public long Requests { get; init; }

    /// <summary>Failed requests (a subset of <see cref="Requests"/>).</summary>
    public long Failed { get; init; }

    /// <summary>Prompt tokens, cached ones included.</summary>
    public long InputTokens { get; init; }

    /// <summary>Completion tokens, reasoning ones included.</summary>
    public long OutputTokens { get; init; }

    /// <summary>Prompt tokens read from the prompt cache.</summary>
    public long CacheReadInputTokens { get; init; }

    /// <summary>Prompt tokens written to the prompt cache.</summary>
    public long CacheCreationInputTokens { get; init; }

    /// <summary>Reasoning tokens.</summary>
    public long ReasoningTokens { get; init; }

    /// <summary>Cost in integer microdollars.</summary>
    public long CostMicros { get; init; }

    /// <summary>Completed requests whose model had no price and that carried no cost: they cost 0 here.</summary>
    public long UnpricedRequests { get; init; }

    /// <summary>Sum of <see cref="LlmRequestCompleted.DurationMs"/> over the requests that carried one.</summary>
    public long DurationMsSum { get; init; }

    /// <summary>How many requests carried a duration.</summary>
    public long DurationSamples { get; init; }

    /// <summary>Sum of time-to-first-token over the requests that carried one.</summary>
    public long TimeToFirstTokenMsSum { get; init; }

    /// <summary>How many requests carried a time-to-first-token.</summary>
    public long TimeToFirstTokenSamples { get; init; }

    /// <summary>Completed requests.</summary>
    public long Succeeded => Requests - Failed;

    /// <summary>Input plus output tokens.</summary>
    public long TotalTokens => InputTokens + OutputTokens;

    /// <summary>Cost in US dollars, for display only (accounting stays in micros).</summary>
    public decimal CostUsd => CostMicros / 1_000_000m;

    /// <summary>Completed / all requests as a ratio in 0..1; 0 when there were no requests.</summary>
    public double SuccessRate => Requests == 0 ? 0 : (double)Succeeded / Requests;

    /// <summary>Average cost per request in micros; 0 when there were no requests.</summary>
    public double AverageCostMicrosPerRequest => Requests == 0 ? 0 : (double)CostMicros / Requests;

    /// <summary>Average tokens per request; 0 when there were no requests.</summary>
    public double AverageTokensPerRequest => Requests == 0 ? 0 : (double)TotalTokens / Requests;

    /// <summary>Average duration over the requests that carried one, or null.</summary>
    public double? AverageDurationMs => DurationSamples == 0 ? null : (double)DurationMsSum / DurationSamples;

    /// <summary>Average time-to-first-token over the requests that carried one, or null.</summary>
    public double? AverageTimeToFirstTokenMs => TimeToFirstTokenSamples == 0 ? null : (double)TimeToFirstTokenMsSum / TimeToFirstTokenSamples;

    /// <summary>Field-by-field sum of two rows.</summary>
    /// <param name="other">The row to add.</param>
    /// <returns>A new row.</returns>
    public UsageRow Add(UsageRow other) => new()
    {
        Requests = Requests + other.Requests,
        Failed = Failed + other.Failed,
        InputTokens = InputTokens + other.InputTokens,
        OutputTokens = OutputTokens + other.OutputTokens,
        CacheReadInputTokens = CacheReadInputTokens + other.CacheReadInputTokens,
        CacheCreationInputTokens = CacheCreationInputTokens + other.CacheCreationInputTokens,
        ReasoningTokens = ReasoningTokens + other.ReasoningTokens,
        CostMicros = CostMicros + other.CostMicros,
        UnpricedRequests = UnpricedRequests + other.UnpricedRequests,
        DurationMsSum = DurationMsSum + other.DurationMsSum,
        DurationSamples = DurationSamples + other.DurationSamples,
        TimeToFirstTokenMsSum = TimeToFirstTokenMsSum + other.TimeToFirstTokenMsSum,
        TimeToFirstTokenSamples = TimeToFirstTokenSamples + other.TimeToFirstTokenSamples,
    };
}
