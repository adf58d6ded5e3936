namespace Analytics.Contracts;

/// <summary>The width of the time buckets of a <see cref="UsageQueries.GetUsage"/> answer. Buckets are UTC.</summary>
public enum UsageBucketSize
{
    /// <summary>One bucket per UTC hour.</summary>
    Hour,

    /// <summary>One bucket per UTC day (midnight to midnight UTC, whatever the local clock did that day).</summary>
    Day,
}
