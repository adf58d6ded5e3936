using Akka.Actor;
using Analytics.Contracts;

namespace Analytics.Actors.Hosting;

/// <summary>The <see cref="IUsageStats"/> of a host: an Ask of the pump, which fails at once when the analytics are not running.</summary>
internal sealed class UsageStatsService(UsageAnalyticsRuntime runtime, UsageRecorder recorder) : IUsageStats
{
    public async Task<UsageStats> GetAsync(CancellationToken cancellationToken = default)
    {
        var running = runtime.Running ?? throw new InvalidOperationException(
            "Usage analytics is not running: start the host first, and make sure its AddAkka(...) builder calls WithUsageAnalytics().");
        if (recorder.IsStopped || running.System.WhenTerminated.IsCompleted) throw Stopped();

        var ask = running.Pump.Ask<UsageStats>(UsageQueries.GetStats.Instance, running.Options.AskTimeout, cancellationToken);
        // The pump never answers once the system is going down: fail then instead of waiting out the timeout.
        if (await Task.WhenAny(ask, running.System.WhenTerminated).ConfigureAwait(false) != ask) throw Stopped();
        try
        {
            return await ask.ConfigureAwait(false);
        }
        catch (AskTimeoutException e)
        {
            throw new TimeoutException($"The usage stats were not answered within {AnalyticsOptions.SectionName}:AskTimeout ({running.Options.AskTimeout:c}).", e);
        }
    }

    private static InvalidOperationException Stopped() =>
        new("Usage analytics has stopped (the host shut down): live stats are no longer answered. SyncStatus still holds the final sync counters.");
}
