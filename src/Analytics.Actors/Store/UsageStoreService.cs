using Akka.Actor;
using Akka.Hosting;
using Analytics.Contracts;

namespace Analytics.Actors.Store;

/// <summary>The <see cref="IUsageStore"/> of a host: the running store, or a clear error when it is off.</summary>
internal sealed class UsageStoreService(StoreRuntime runtime) : IUsageStore
{
    public bool Enabled => runtime.Current is not null;

    public StoreCounters? Counters => runtime.Current?.Metrics.Snapshot();

    public async Task<UsageHistory> GetUsageAsync(UsageQueries.GetUsage query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var store = Running();
        var ledger = await store.Registry.GetAsync<UsageLedger>(cancellationToken).ConfigureAwait(false);
        try
        {
            return await ledger.Ask<UsageHistory>(query, store.Options.AskTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (AskTimeoutException e)
        {
            throw new TimeoutException($"The usage history was not answered within {AnalyticsOptions.SectionName}:AskTimeout ({store.Options.AskTimeout:c}).", e);
        }
    }

    public Task<StoreCommit> WhenCommittedAsync(StoreCounters? since = null, CancellationToken cancellationToken = default)
        => Running().WhenCommittedAsync(since, cancellationToken);

    private StoreRuntime.Running Running() => runtime.Current ?? throw new InvalidOperationException(
        $"The usage store is not running: set {AnalyticsOptions.SectionName}:Store:Path (it is off by default in the library) and start the host with WithUsageAnalytics().");
}
