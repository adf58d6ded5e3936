using System.Collections.Immutable;

namespace Analytics.Contracts;

/// <summary>
/// Usage broken down the way the live <see cref="UsageStats"/> is: totals, and rows per model, per provider and per agent.
/// <c>Totals == sum(ByModel) == sum(ByProvider)</c>; <see cref="ByAgent"/> holds only events that carried an agent id.
/// </summary>
public abstract record UsageBreakdown
{
    /// <summary>All LLM requests together.</summary>
    public required UsageRow Totals { get; init; }

    /// <summary>Per model name as recorded.</summary>
    public required ImmutableDictionary<string, UsageRow> ByModel { get; init; }

    /// <summary>Per canonical provider.</summary>
    public required ImmutableDictionary<string, UsageRow> ByProvider { get; init; }

    /// <summary>Per agent, only for events that carried an agent id.</summary>
    public required ImmutableDictionary<string, UsageRow> ByAgent { get; init; }
}

/// <summary>The usage of one hour or one day of a <see cref="UsageHistory"/>.</summary>
public sealed record UsageBucket : UsageBreakdown
{
    /// <summary>The start of the bucket (UTC, on the hour or at midnight). Only the part inside the window is counted.</summary>
    public required DateTimeOffset Start { get; init; }
}

/// <summary>
/// The stored usage of a time window <c>[Since, Until)</c>, read from the store's hourly rollups: the answer to
/// <see cref="UsageQueries.GetUsage"/>. The window is widened to whole UTC hours (<see cref="Since"/> rounded down,
/// <see cref="Until"/> rounded up), because the rollups are hourly. With a <see cref="BucketSize"/>, the
/// <see cref="Buckets"/> (only those holding usage, in time order) add up exactly to the window's rows.
/// </summary>
public sealed record UsageHistory : UsageBreakdown
{
    /// <summary>Start of the window, inclusive, on a UTC hour.</summary>
    public required DateTimeOffset Since { get; init; }

    /// <summary>End of the window, exclusive, on a UTC hour.</summary>
    public required DateTimeOffset Until { get; init; }

    /// <summary>The bucket width asked for, or null for no buckets.</summary>
    public UsageBucketSize? BucketSize { get; init; }

    /// <summary>The buckets holding usage, in time order; empty without <see cref="BucketSize"/>.</summary>
    public ImmutableArray<UsageBucket> Buckets { get; init; } = [];
}
