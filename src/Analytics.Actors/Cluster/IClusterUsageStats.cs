using System.Collections.Immutable;
using Analytics.Contracts;

namespace Analytics.Actors;

/// <summary>
/// Reads the usage of the whole cluster (every replica's published counts, merged), when <c>Analytics:Cluster:Enabled</c>
/// is true and the cluster is registered (<c>LlmUsageAnalytics.Cluster</c>). Registered by
/// <c>services.AddUsageAnalytics(configuration)</c> whether or not the cluster is on, so any code can inject it and ask
/// <see cref="Enabled"/>.
/// </summary>
public interface IClusterUsageStats
{
    /// <summary>True when this host runs the cluster view (enabled and registered, and the host started).</summary>
    bool Enabled { get; }

    /// <summary>
    /// What this node has published so far and how its final publish went; null while the cluster view is not running.
    /// </summary>
    ClusterPublishStatus? Status { get; }

    /// <summary>This node's cluster address (<c>akka.tcp://system@host:port</c>, the form other nodes name as a seed); null while the cluster view is not running.</summary>
    string? Address { get; }

    /// <summary>
    /// The merged usage of every node, read with <paramref name="consistency"/>. It lags each node's own live stats by up
    /// to <c>Analytics:Cluster:PublishInterval</c> (plus the gossip delay for <see cref="ClusterReadConsistency.Local"/>).
    /// </summary>
    /// <param name="consistency">How many nodes to consult.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The merged view.</returns>
    /// <exception cref="InvalidOperationException">The cluster view is off (<c>Analytics:Cluster:Enabled</c> is false) or stopped.</exception>
    /// <exception cref="TimeoutException">The nodes the consistency needs did not answer within <c>Analytics:Cluster:ReadTimeout</c>.</exception>
    Task<ClusterUsage> GetAsync(ClusterReadConsistency consistency, CancellationToken cancellationToken = default);
}

/// <summary>The usage of the whole cluster, merged from every node's published counts.</summary>
public sealed record ClusterUsage
{
    /// <summary>
    /// The merged counts in the shape of the live stats: totals and rows per model, provider and agent, plus the summed
    /// ingress and lifecycle counters of the nodes (their <c>Pending</c> is what was accepted but not folded when they
    /// published). <c>Sync</c> is null: sync is per node. Keys past <c>Analytics:Cluster:MaxKeysPerDimension</c> are
    /// under <c>(other)</c>.
    /// </summary>
    public required UsageStats Stats { get; init; }

    /// <summary>The consistency the view was read with.</summary>
    public required ClusterReadConsistency Consistency { get; init; }

    /// <summary>
    /// The totals each node published, by its address (<c>akka.tcp://system@host:port</c> and its incarnation id). Once
    /// a removed node's data is pruned, its counts appear under the node that absorbed them.
    /// </summary>
    public required ImmutableDictionary<string, UsageRow> ByNode { get; init; }

    /// <summary>Distinct keys the nodes published under <c>(other)</c> because a breakdown was full (summed over nodes).</summary>
    public required ClusterOverflow Overflowed { get; init; }
}

/// <summary>Keys folded into <c>(other)</c> in the cluster view because <c>MaxKeysPerDimension</c> was reached.</summary>
/// <param name="Models">Model names.</param>
/// <param name="Providers">Provider names.</param>
/// <param name="Agents">Agent ids.</param>
public sealed record ClusterOverflow(long Models, long Providers, long Agents);

/// <summary>This node's publishing into the cluster view.</summary>
/// <param name="Rounds">Publish rounds done (one per <c>PublishInterval</c> that had something new, plus the final one).</param>
/// <param name="Updates">Distributed Data updates sent (one per changed data key per round).</param>
/// <param name="WriteTimeouts">
/// Updates whose replication to other nodes was not confirmed in time. The update itself was applied to this node's replica
/// and spreads by gossip; it is never sent again as a second increment.
/// </param>
/// <param name="Final">How the final publish at shutdown went.</param>
/// <param name="FinalProblem">Why the final publish was not acknowledged, or null.</param>
public sealed record ClusterPublishStatus(long Rounds, long Updates, long WriteTimeouts, ClusterFinalPublish Final, string? FinalProblem);

/// <summary>The outcome of a node's final publish (<see cref="ClusterPublishStatus.Final"/>).</summary>
public enum ClusterFinalPublish
{
    /// <summary>The node has not shut down yet.</summary>
    NotYet,

    /// <summary>Every node of the cluster acknowledged every data key this node wrote.</summary>
    AcknowledgedByAll,

    /// <summary>Not every node answered in time, but a majority acknowledged every data key this node wrote.</summary>
    AcknowledgedByMajority,

    /// <summary>Not even a majority acknowledged in time (or the node never joined): the last counts may exist on this node only.</summary>
    NotAcknowledged,
}
