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
}
