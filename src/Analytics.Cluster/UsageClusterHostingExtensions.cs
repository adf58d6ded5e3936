using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Configuration;
using Akka.DistributedData;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Analytics.Actors.Cluster;
using Analytics.Actors.Cluster.Crdt;
using Analytics.Actors.Cluster.Publishing;
using Analytics.Actors.Cluster.Reading;
using Analytics.Actors.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Analytics.Actors;

/// <summary>
/// Registration of the cluster view (package <c>LlmUsageAnalytics.Cluster</c>): with <c>Analytics:Cluster:Enabled</c> true,
/// the actor system joins an Akka.NET cluster (remoting, clustering with the split-brain resolver on, Distributed Data) and publishes its
/// usage into Distributed Data; any node then answers the merged view (<see cref="IClusterUsageStats"/>). With it false,
/// nothing is added, so one program serves both ways:
/// <code>
/// services.AddUsageAnalytics(configuration);
/// services.AddAkka("analytics", (akka, sp) => akka.WithUsageAnalytics().WithUsageAnalyticsCluster(sp));
/// </code>
/// </summary>
public static class UsageClusterHostingExtensions
{
    /// <summary>
    /// Joins the cluster and publishes this node's usage when <c>Analytics:Cluster:Enabled</c> is true in the options bound
    /// by <c>services.AddUsageAnalytics(configuration)</c>; does nothing otherwise. Calls <c>WithRemoting</c>,
    /// <c>WithClustering</c> and <c>WithDistributedData</c> itself (do not configure them a second time), and sets the default
    /// replicator's gossip interval and gossip message size (<c>akka.cluster.distributed-data</c>) for the usage keys.
    /// </summary>
    /// <param name="builder">The Akka builder.</param>
    /// <param name="services">The service provider of <c>AddAkka(name, (akka, serviceProvider) => ...)</c>.</param>
    /// <returns>The builder.</returns>
    public static AkkaConfigurationBuilder WithUsageAnalyticsCluster(this AkkaConfigurationBuilder builder, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.GetService<IOptions<AnalyticsOptions>>()?.Value ?? throw new InvalidOperationException(
            "Usage analytics services are not registered: call services.AddUsageAnalytics(configuration) before builder.WithUsageAnalyticsCluster(serviceProvider).");
        return builder.WithUsageAnalyticsCluster(options.Cluster);
    }

    /// <summary>Joins the cluster and publishes this node's usage with exactly <paramref name="options"/> (configuration ignored); nothing when not enabled.</summary>
    /// <param name="builder">The Akka builder.</param>
    /// <param name="options">The cluster options.</param>
    /// <returns>The builder.</returns>
    public static AkkaConfigurationBuilder WithUsageAnalyticsCluster(this AkkaConfigurationBuilder builder, UsageClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Enabled) return builder;
        var errors = new OptionErrors($"{AnalyticsOptions.SectionName}:Cluster");
        UsageClusterOptions.Validate(options, errors);
        if (errors.Failures.Count > 0) throw new OptionsValidationException(AnalyticsOptions.SectionName, typeof(AnalyticsOptions), errors.Failures);
        var o = options.Clone();

        builder.AddHocon(Hocon(o), HoconAddMode.Prepend);
        builder.WithRemoting(new RemoteOptions { HostName = o.Hostname, PublicHostName = o.Hostname, Port = o.Port });
        builder.WithClustering(new ClusterOptions
        {
            SeedNodes = [.. o.Seeds],
            Roles = o.Role is null ? [] : [o.Role],
            SplitBrainResolver = SplitBrainResolverOption.Default,
        });
        builder.WithDistributedData(new DDataOptions { Role = o.Role ?? "" });
        builder.WithCustomSerializer(UsageCounterMapSerializer.Name, [typeof(UsageCounterMap)], system => new UsageCounterMapSerializer(system));
        return builder.WithActors((system, registry, resolver) => Start(system, registry, resolver, o));
    }

    /// <summary>
    /// The final publish runs in before-cluster-shutdown, whose default timeout (5 s) may be shorter than FinalPublishTimeout.
    /// The replicator (Akka's default one, <c>akka.cluster.distributed-data</c>) gossips every GossipInterval and sends at
    /// most <see cref="ClusterLayout.MaxGossipKeys"/> keys per gossip message, so a message stays under the remoting frame.
    /// </summary>
    internal static Config Hocon(UsageClusterOptions o)
    {
        var notify = o.GossipInterval < TimeSpan.FromMilliseconds(500) ? o.GossipInterval : TimeSpan.FromMilliseconds(500);
        return ConfigurationFactory.ParseString(string.Join('\n',
            $"akka.coordinated-shutdown.phases.{CoordinatedShutdown.PhaseBeforeClusterShutdown}.timeout = {Ms(o.FinalPublishTimeout + TimeSpan.FromSeconds(5))}",
            $"akka.cluster.distributed-data.gossip-interval = {Ms(o.GossipInterval)}",
            $"akka.cluster.distributed-data.notify-subscribers-interval = {Ms(notify)}",
            $"akka.cluster.distributed-data.max-delta-elements = {ClusterLayout.MaxGossipKeys}"));
    }

    private static string Ms(TimeSpan t) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{(long)Math.Ceiling(t.TotalMilliseconds)}ms");

    private static void Start(ActorSystem system, IActorRegistry registry, Akka.DependencyInjection.IDependencyResolver resolver, UsageClusterOptions o)
    {
        var runtime = resolver.GetService<UsageAnalyticsRuntime>() ?? throw new InvalidOperationException(
            "Usage analytics services are not registered: call services.AddUsageAnalytics(configuration) before builder.WithUsageAnalyticsCluster(...).");
        for (var i = 0; i < o.Seeds.Count; i++)
        {
            var seed = Address.Parse(o.Seeds[i]);
            if (seed.System != system.Name)
                throw new OptionsValidationException(AnalyticsOptions.SectionName, typeof(AnalyticsOptions),
                    [$"{AnalyticsOptions.SectionName}:Cluster:Seeds:{i} names the actor system '{seed.System}', but this node's is '{system.Name}' (got '{o.Seeds[i]}')."]);
        }
        var analytics = resolver.GetService<IOptions<AnalyticsOptions>>()?.Value;
        var time = resolver.GetService<TimeProvider>() ?? TimeProvider.System;
        var cluster = Akka.Cluster.Cluster.Get(system);
        // No seeds: this node starts the cluster; the others name it as their seed.
        if (o.Seeds.Count == 0) cluster.Join(cluster.SelfAddress);

        var layout = new ClusterLayout(o.MaxKeysPerDimension);
        var replicator = DistributedData.Get(system).Replicator;
        var status = new PublishStatusHolder();
        var publisher = system.ActorOf(UsagePublisherActor.CreateProps(replicator, registry, cluster.SelfUniqueAddress, layout, o,
            analytics?.AskTimeout ?? TimeSpan.FromSeconds(10), status), "llm-usage-publisher");
        var reader = system.ActorOf(ClusterStatsActor.CreateProps(replicator, layout, o.ReadTimeout, time), "llm-usage-cluster-stats");
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeClusterShutdown, "analytics-cluster-final-publish",
            () => FinalPublishAsync(publisher, o.FinalPublishTimeout));

        var address = cluster.SelfAddress.ToString();
        resolver.GetService<ILoggerFactory>()?.CreateLogger("Analytics.Actors.Cluster").LogInformation(
            "Cluster view on: this node is {Address}, joining {Seeds}; it publishes every {PublishInterval}, gossip every {GossipInterval}",
            address, o.Seeds.Count == 0 ? "itself (a new cluster: other nodes name this address as their seed)" : string.Join(", ", o.Seeds), o.PublishInterval, o.GossipInterval);
        runtime.MarkClusterStarted(new ClusterView(reader, status, address, o.ReadTimeout));
    }

    private static async Task<Akka.Done> FinalPublishAsync(IActorRef publisher, TimeSpan timeout)
    {
        try
        {
            await publisher.Ask<UsagePublisherActor.FinalPublished>(UsagePublisherActor.FinalPublish.Instance, timeout + TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AskTimeoutException or OperationCanceledException)
        {
            // The publisher records NotAcknowledged itself at its deadline; the node leaves either way.
        }
        return Akka.Done.Instance;
    }

    /// <summary>The running cluster view a host's <see cref="IClusterUsageStats"/> reads.</summary>
    private sealed class ClusterView(IActorRef reader, PublishStatusHolder status, string address, TimeSpan readTimeout) : IClusterView
    {
        public ClusterPublishStatus Status => status.Current;

        public string Address => address;

        public async Task<ClusterUsage> GetAsync(ClusterReadConsistency consistency, CancellationToken cancellationToken)
        {
            try
            {
                // The query fails by itself after ReadTimeout; the Ask only guards against a reader that never answers.
                return await reader.Ask<ClusterUsage>(new ClusterStatsActor.GetClusterUsage(consistency), readTimeout * 2 + TimeSpan.FromSeconds(5), cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (AskTimeoutException e)
            {
                throw new TimeoutException($"The cluster usage was not answered within {readTimeout * 2 + TimeSpan.FromSeconds(5):c}.", e);
            }
        }
    }
}
