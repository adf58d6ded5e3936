using Analytics.Actors.Hosting;

namespace Analytics.Actors.Cluster;

/// <summary>
/// What the cluster package plugs into a running host: the merged read and the publish status. Kept as an interface of
/// the core package so the HTTP endpoints and the host read the cluster view without depending on Akka.Cluster.
/// </summary>
internal interface IClusterView
{
    /// <summary>This node's publishing so far.</summary>
    ClusterPublishStatus Status { get; }

    /// <summary>This node's cluster address (<c>akka.tcp://system@host:port</c>).</summary>
    string Address { get; }

    /// <summary>The merged view, read with <paramref name="consistency"/>.</summary>
    Task<ClusterUsage> GetAsync(ClusterReadConsistency consistency, CancellationToken cancellationToken);
}

/// <summary>The <see cref="IClusterUsageStats"/> of a host: the cluster package's view once it runs, else a clear refusal.</summary>
internal sealed class ClusterStatsService(UsageAnalyticsRuntime runtime) : IClusterUsageStats
{
    public bool Enabled => runtime.Cluster is not null && runtime.Running is { System.WhenTerminated.IsCompleted: false };

    public ClusterPublishStatus? Status => runtime.Cluster?.Status;

    public string? Address => runtime.Cluster?.Address;

    public Task<ClusterUsage> GetAsync(ClusterReadConsistency consistency, CancellationToken cancellationToken = default)
    {
        if (!Enum.IsDefined(consistency)) throw new ArgumentOutOfRangeException(nameof(consistency), consistency, "must be Local, Majority or All");
        var view = runtime.Cluster ?? throw new InvalidOperationException(
            $"The cluster view is off: {AnalyticsOptions.SectionName}:Cluster:Enabled is false (or the host has not started). Turn it on and register " +
            "the cluster (package LlmUsageAnalytics.Cluster, .WithUsageAnalyticsCluster(serviceProvider) on the AddAkka builder).");
        if (runtime.Running is { System.WhenTerminated.IsCompleted: true })
            throw new InvalidOperationException("Usage analytics has stopped (the host shut down): the cluster view is no longer answered.");
        return view.GetAsync(consistency, cancellationToken);
    }
}
