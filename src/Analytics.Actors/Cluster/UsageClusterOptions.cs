using System.Globalization;
using Analytics.Actors.Hosting;

namespace Analytics.Actors;

/// <summary>
/// Settings of the cluster view (<c>Analytics:Cluster</c>): several gateway replicas joined in an Akka.NET cluster, each
/// publishing its counts into Distributed Data so any replica answers for the whole fleet. Off by default; turning it on
/// needs the <c>LlmUsageAnalytics.Cluster</c> package and <c>.WithUsageAnalyticsCluster(serviceProvider)</c> on the
/// <c>AddAkka</c> builder (the host's start fails with a message saying so otherwise).
/// </summary>
public sealed class UsageClusterOptions
{
    /// <summary>The Akka transport every seed address must use.</summary>
    internal const string Protocol = "akka.tcp";

    /// <summary>Join a cluster and publish this node's counts. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// The address this node listens on for the other nodes and tells them to reach it by (Akka remoting). Default
    /// 127.0.0.1, which only nodes on the same machine reach: set the host's name or address for a real fleet.
    /// </summary>
    public string Hostname { get; set; } = "127.0.0.1";

    /// <summary>The remoting port. Default 0: any free port (fine for nodes that are not seeds); 0..65,535.</summary>
    public int Port { get; set; }

    /// <summary>
    /// Addresses of the seed nodes to join, each <c>akka.tcp://&lt;actor system name&gt;@host:port</c> (the host program's
    /// actor system is named <c>analytics</c>). Empty (default): this node starts a cluster of its own and is the seed
    /// the others name.
    /// </summary>
    public List<string> Seeds { get; set; } = [];

    /// <summary>
    /// How often this node publishes what it counted since its last publish. Default 00:00:01; 10 ms..1 h. The cluster
    /// view lags a node's own stats by up to this plus the gossip delay (see <see cref="GossipInterval"/>).
    /// </summary>
    public TimeSpan PublishInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often the usage replicator gossips with one other node; a view read with the <c>local</c> consistency sees
    /// another node's publish after a gossip round or a few. Default 00:00:01; 10 ms..1 min.
    /// </summary>
    public TimeSpan GossipInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The cluster role of this node; when set, only nodes with this role hold and exchange the usage data. Default
    /// empty: every node.
    /// </summary>
    public string? Role { get; set; }

    /// <summary>
    /// Most keys each breakdown (models, providers, agents) may hold in the cluster view: Distributed Data keeps every key
    /// in memory on every node and gossips it. Counts of further new keys are published under <c>(other)</c> and the keys
    /// so folded are counted. Default 1,000; 1..10,000 (each node's record of the data keys it used grows with it, and
    /// must fit a remoting frame with every node's).
    /// </summary>
    public int MaxKeysPerDimension { get; set; } = 1_000;

    /// <summary>How long a <c>majority</c> or <c>all</c> read waits for the other nodes. Default 00:00:05; 10 ms..10 min.</summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long the final publish at shutdown may take, joining the cluster first if this node has not yet: it is written
    /// to every node (then, failing that, to a majority) before the node leaves. Default 00:00:10; 100 ms..10 min.
    /// </summary>
    public TimeSpan FinalPublishTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Returns a copy (the seed list copied too).</summary>
    /// <returns>A copy.</returns>
    public UsageClusterOptions Clone()
    {
        var copy = (UsageClusterOptions)MemberwiseClone();
        copy.Seeds = [.. Seeds ?? []];
        return copy;
    }

    /// <summary>Checks the settings; one message per problem, naming the key, the range and the value.</summary>
    internal static void Validate(UsageClusterOptions options, OptionErrors errors)
    {
        if (string.IsNullOrWhiteSpace(options.Hostname)) errors.Add("Hostname", "must be a host name or an IP address (got an empty value).");
        errors.Range("Port", options.Port, 0, 65_535, "0 (any free port) or ");
        var seeds = options.Seeds ?? [];
        for (var i = 0; i < seeds.Count; i++)
        {
            if (SeedProblem(seeds[i]) is { } problem) errors.Add(string.Create(CultureInfo.InvariantCulture, $"Seeds:{i}"), problem);
        }
        errors.Duration("PublishInterval", options.PublishInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1));
        errors.Duration("GossipInterval", options.GossipInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(1));
        if (options.Role is { } role && (role.Length == 0 || role.Any(char.IsWhiteSpace)))
            errors.Add("Role", $"must be a name without spaces, or left out for every node (got '{role}').");
        errors.Range("MaxKeysPerDimension", options.MaxKeysPerDimension, 1, 10_000);
        errors.Duration("ReadTimeout", options.ReadTimeout, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10));
        errors.Duration("FinalPublishTimeout", options.FinalPublishTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10));
    }

    /// <summary>Why <paramref name="seed"/> is not an <c>akka.tcp://system@host:port</c> address, or null.</summary>
    internal static string? SeedProblem(string? seed)
    {
        const string Form = "must be akka.tcp://<actor system name>@host:port";
        if (string.IsNullOrWhiteSpace(seed)) return $"{Form} (got an empty value).";
        if (!Akka.Actor.Address.TryParse(seed, out var address)) return $"{Form} (got '{seed}').";
        if (address.Protocol != Protocol || string.IsNullOrEmpty(address.Host) || address.Port is not (> 0 and <= 65_535) || string.IsNullOrEmpty(address.System))
            return $"{Form} (got '{seed}').";
        return null;
    }
}

/// <summary>How many nodes a cluster stats read consults (<see cref="IClusterUsageStats.GetAsync"/>).</summary>
public enum ClusterReadConsistency
{
    /// <summary>This node's replica only: no waiting, but other nodes' latest publishes may still be in gossip.</summary>
    Local,

    /// <summary>A majority of the nodes, merged: includes every publish that was written to a majority.</summary>
    Majority,

    /// <summary>Every node, merged: includes every node's latest publish; fails when a node does not answer in time.</summary>
    All,
}
