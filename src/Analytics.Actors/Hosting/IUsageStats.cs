using Analytics.Contracts;

namespace Analytics.Actors;

/// <summary>
/// Reads the live usage stats (in memory, since the process started) without touching Akka types: inject it
/// anywhere after <c>services.AddUsageAnalytics(configuration)</c>.
/// </summary>
public interface IUsageStats
{
    /// <summary>
    /// A read-your-writes snapshot: it includes every <c>Record*</c> call that returned before this call was made. Waits
    /// at most <c>Analytics:AskTimeout</c>.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The stats.</returns>
    /// <exception cref="InvalidOperationException">The analytics are not running: the host has not started, was built
    /// without <c>WithUsageAnalytics()</c>, or has stopped.</exception>
    /// <exception cref="TimeoutException">No answer within <c>Analytics:AskTimeout</c>.</exception>
    Task<UsageStats> GetAsync(CancellationToken cancellationToken = default);
}
