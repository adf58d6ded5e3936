using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Analytics.Tests.Cluster;

/// <summary>
/// One node of a test cluster: a generic host wired as a user wires it (<c>AddUsageAnalytics</c>, <c>WithUsageAnalytics</c>,
/// <c>WithUsageAnalyticsCluster</c>), on 127.0.0.1 and a free port, with short gossip and publish intervals and a failure
/// detector generous enough for a loaded 2-core machine.
/// </summary>
internal sealed class ClusterNode : IAsyncDisposable
{
    /// <summary>Membership gossip a few times faster than the defaults; heartbeats may pause 15 s before a node counts as unreachable.</summary>
    public const string TestHocon =
        """
        akka.loglevel = WARNING
        akka.cluster.gossip-interval = 200ms
        akka.cluster.leader-actions-interval = 200ms
        akka.cluster.unreachable-nodes-reaper-interval = 500ms
        akka.cluster.periodic-tasks-initial-delay = 100ms
        akka.cluster.failure-detector.acceptable-heartbeat-pause = 15s
        akka.cluster.split-brain-resolver.stable-after = 30s
        akka.coordinated-shutdown.phases.cluster-leave.timeout = 3s
        akka.coordinated-shutdown.phases.cluster-exiting.timeout = 3s
        akka.coordinated-shutdown.phases.cluster-shutdown.timeout = 3s
        """;

    private ClusterNode(IHost host)
    {
        Host = host;
        // Kept: a stopped host's services are disposed, and specs read the final publish status after the stop.
        Cluster = host.Services.GetRequiredService<IClusterUsageStats>();
        Recorder = host.Services.GetRequiredService<UsageRecorder>();
        Stats = host.Services.GetRequiredService<IUsageStats>();
        System = host.Services.GetRequiredService<ActorSystem>();
        if (!Cluster.Enabled) return;
        var self = Akka.Cluster.Cluster.Get(System).SelfUniqueAddress;
        Name = $"{self.Address}#{self.Uid}";
    }

    public IHost Host { get; }

    public UsageRecorder Recorder { get; }

    public IUsageStats Stats { get; }

    public IClusterUsageStats Cluster { get; }

    public ActorSystem System { get; }

    /// <summary>This node's name in <see cref="ClusterUsage.ByNode"/>.</summary>
    public string Name { get; } = "";

    private bool _disposed;

    /// <summary>Starts a node; with no seed it starts a new cluster.</summary>
    public static async Task<ClusterNode> StartAsync(string? seed, Dictionary<string, string?>? settings = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var config = new Dictionary<string, string?>
        {
            ["Analytics:Cluster:Enabled"] = "true",
            ["Analytics:Cluster:PublishInterval"] = "00:00:00.100",
            ["Analytics:Cluster:GossipInterval"] = "00:00:00.100",
            ["Analytics:Cluster:FinalPublishTimeout"] = "00:00:04",
            ["Analytics:Cluster:ReadTimeout"] = "00:00:03",
            ["Analytics:PumpThread"] = "ThreadPool",
        };
        if (seed is not null) config["Analytics:Cluster:Seeds:0"] = seed;
        foreach (var (k, v) in settings ?? []) config[k] = v;
        builder.Configuration.AddInMemoryCollection(config);
        builder.Logging.SetMinimumLevel(Environment.GetEnvironmentVariable("CLUSTER_SPEC_LOGS") == "1" ? LogLevel.Information : LogLevel.Warning);
        if (Environment.GetEnvironmentVariable("CLUSTER_SPEC_LOGS") == "1") builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.AddUsageAnalytics(builder.Configuration);
        builder.Services.AddAkka("analytics", (akka, sp) => akka
            .AddHocon(TestHocon, HoconAddMode.Prepend)
            .WithUsageAnalytics()
            .WithUsageAnalyticsCluster(sp));
        var host = builder.Build();
        await host.StartAsync();
        return new ClusterNode(host);
    }

    /// <summary>Starts a node of the cluster <paramref name="seed"/> belongs to.</summary>
    public static Task<ClusterNode> JoinAsync(ClusterNode seed) => StartAsync(seed.Cluster.Address!);

    /// <summary>Waits until every node sees <paramref name="count"/> members up.</summary>
    public static Task AllUpAsync(IReadOnlyList<ClusterNode> nodes, int count) => Sync.SyncTestSupport.WaitUntil(
        () => nodes.All(n => Akka.Cluster.Cluster.Get(n.System).State.Members is var m && m.Count == count && m.All(x => x.Status == Akka.Cluster.MemberStatus.Up)),
        TimeSpan.FromSeconds(30), $"{count} members up on every node");

    /// <summary>A crash: the actor system goes away without its shutdown tasks (no final publish, no leaving).</summary>
    public void Crash() => ((ExtendedActorSystem)System).Abort();

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            await Host.StopAsync();
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or AggregateException)
        {
            // A crashed node's host has no system left to stop.
        }
        Host.Dispose();
    }
}
