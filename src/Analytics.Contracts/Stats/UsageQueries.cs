namespace Analytics.Contracts;

/// <summary>Queries the analytics coordinator answers (send them with an Ask).</summary>
public static class UsageQueries
{
    /// <summary>Drain everything recorded so far and reply with a <see cref="UsageStats"/>.</summary>
    public sealed record GetStats
    {
        /// <summary>The one instance.</summary>
        public static readonly GetStats Instance = new();

        private GetStats() { }
    }

    /// <summary>
    /// Stored usage of the window <c>[Since, Until)</c>, optionally in UTC buckets; answered with a
    /// <see cref="UsageHistory"/> by the store's actor once everything recorded before the Ask is committed.
    /// </summary>
    /// <param name="Since">Start of the window (rounded down to the hour); null for the beginning of the store.</param>
    /// <param name="Until">End of the window, exclusive (rounded up to the hour); null for now.</param>
    /// <param name="By">Bucket width, or null for totals only.</param>
    public sealed record GetUsage(DateTimeOffset? Since = null, DateTimeOffset? Until = null, UsageBucketSize? By = null);
}
