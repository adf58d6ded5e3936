using Akka.Actor;
using Akka.Hosting;
using Akka.Hosting.Logging;
using Analytics.Actors.Aggregation;
using Analytics.Actors.Budgets;
using Analytics.Actors.Hosting;
using Analytics.Actors.Metrics;
using Analytics.Actors.Pricing;
using Analytics.Actors.Pump;
using Analytics.Actors.Store;
using Analytics.Actors.Sync;
using Analytics.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Analytics.Actors;

/// <summary>
/// Registration of the usage analytics: <see cref="AddUsageAnalytics"/> for options, the recorder and the stats
/// reader, <c>WithUsageAnalytics</c> for the actors. Use both:
/// <code>
/// services.AddUsageAnalytics(configuration);
/// services.AddAkka("my-gateway", akka => akka.WithUsageAnalytics());
/// </code>
/// </summary>
public static class AnalyticsHostingExtensions
{
    /// <summary>
    /// Binds <see cref="AnalyticsOptions"/> from the <c>Analytics</c> section of <paramref name="configuration"/>
    /// (unknown keys are errors, so a typo fails loudly), validates them when the host starts, and registers the
    /// <see cref="UsageRecorder"/>, <see cref="IUsageStats"/>, <see cref="IClusterUsageStats"/>, <see cref="SyncStatus"/>, <see cref="IUsageStore"/>,
    /// <see cref="IBudgetStatus"/>, the price catalog, a <see cref="TimeProvider"/> and the meter factory the <c>Analytics.Usage</c> meter is
    /// created with. The host then fails to start unless an actor system runs <c>WithUsageAnalytics()</c>. The children of
    /// <c>Analytics:Budgets</c> are budget names, except <c>Webhook</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The root configuration (the one holding the <c>Analytics</c> section).</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddUsageAnalytics(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(AnalyticsOptions.SectionName);
        services.AddOptions<AnalyticsOptions>()
            .Bind(BudgetsBinding.WithoutBudgets(section), o => o.ErrorOnUnknownConfiguration = true)
            .Configure(o => BudgetsBinding.Bind(section.GetSection(BudgetsBinding.SectionName), o.Budgets))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AnalyticsOptions>, AnalyticsOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddPricing();
        services.AddSync();
        services.AddStore();
        services.AddUsageMetrics();
        services.AddBudgets();
        services.TryAddSingleton<UsageAnalyticsRuntime>();
        services.TryAddSingleton(sp => sp.GetRequiredService<UsageAnalyticsRuntime>().GetRecorder(sp.GetRequiredService<IOptions<AnalyticsOptions>>().Value));
        services.TryAddSingleton<IUsageStats, UsageStatsService>();
        services.TryAddSingleton<IClusterUsageStats, Cluster.ClusterStatsService>();
        services.AddHostedService<AnalyticsStartupCheck>();
        return services;
    }

    /// <summary>
    /// Starts the analytics actors with the options bound by <see cref="AddUsageAnalytics"/>. Akka's own log lines are
    /// routed through <c>Microsoft.Extensions.Logging</c> (filtered by <c>Logging:LogLevel</c>); to keep a logger setup of
    /// your own, call <c>ConfigureLoggers</c> after this.
    /// </summary>
    /// <param name="builder">The Akka builder.</param>
    /// <returns>The builder.</returns>
    public static AkkaConfigurationBuilder WithUsageAnalytics(this AkkaConfigurationBuilder builder)
        => builder.WithUsageAnalytics(configure: null, explicitOptions: null);

    /// <summary>Starts the analytics actors with the bound options adjusted by <paramref name="configure"/>.</summary>
    /// <param name="builder">The Akka builder.</param>
    /// <param name="configure">Changes applied to a copy of the bound options.</param>
    /// <returns>The builder.</returns>
    public static AkkaConfigurationBuilder WithUsageAnalytics(this AkkaConfigurationBuilder builder, Action<AnalyticsOptions> configure)
        => builder.WithUsageAnalytics(configure ?? throw new ArgumentNullException(nameof(configure)), explicitOptions: null);

    /// <summary>Starts the analytics actors with exactly <paramref name="options"/> (configuration ignored).</summary>
    /// <param name="builder">The Akka builder.</param>
    /// <param name="options">The options.</param>
    /// <returns>The builder.</returns>
    public static AkkaConfigurationBuilder WithUsageAnalytics(this AkkaConfigurationBuilder builder, AnalyticsOptions options)
        => builder.WithUsageAnalytics(configure: null, explicitOptions: options ?? throw new ArgumentNullException(nameof(options)));

    private static AkkaConfigurationBuilder WithUsageAnalytics(this AkkaConfigurationBuilder builder, Action<AnalyticsOptions>? configure, AnalyticsOptions? explicitOptions)
    {
        // The sync flush runs in a CoordinatedShutdown phase whose default timeout (5 s) is shorter than FlushTimeout may be.
        builder.AddHocon(SyncRegistration.ShutdownHocon, HoconAddMode.Prepend);
        // A default, so appended: a host's own HOCON may size the aggregators' thread pool.
        builder.AddHocon(AggregatorDispatcher.Hocon, HoconAddMode.Append);
        builder.ConfigureLoggers(loggers =>
        {
            // AddLoggerFactory registers the ILoggerFactory setup the bridge reads; the bridge then replaces its logger.
            loggers.ClearLoggers();
            loggers.AddLoggerFactory();
            loggers.ClearLoggers();
            loggers.AddLogger<AkkaLogBridge>();
        });
        return builder.WithActors((system, registry, resolver) =>
        {
            var runtime = resolver.GetService<UsageAnalyticsRuntime>()
                ?? throw new InvalidOperationException(
                    "Usage analytics services are not registered: call services.AddUsageAnalytics(configuration) before builder.WithUsageAnalytics().");
            var options = (explicitOptions ?? resolver.GetService<IOptions<AnalyticsOptions>>().Value).Clone();
            configure?.Invoke(options);
            AnalyticsOptionsValidator.ThrowIfInvalid(options);

            var recorder = runtime.GetRecorder(options);
            var catalog = resolver.GetService<IPriceCatalog>();
            var time = resolver.GetService<TimeProvider>();
            // Store and sync first: they subscribe to the recorder, so the pump hands them events from the first drain on.
            // With a store, sync reads the ledger (the outbox feed) instead of a queue of its own.
            var outbox = StoreRegistration.Start(system, registry, resolver, options, recorder);
            var syncCounters = SyncRegistration.Start(system, registry, resolver, options, recorder, outbox);
            var metrics = MetricsRegistration.Start(system, resolver, options, recorder);
            BudgetRegistration.Start(system, registry, resolver, options, recorder, metrics);
            var pump = system.ActorOf(IngressPumpActor.CreateProps(recorder, catalog, options, time, syncCounters), "usage-analytics");
            registry.Register<IngressPumpActor>(pump);
            registry.Register<AnalyticsCoordinator>(pump);

            // Intake stops with the final drain; whatever phase runs after it (the sync flush) then has every event.
            CoordinatedShutdown.Get(system).AddTask(SyncRegistration.FlushPhase, "analytics-drain", () => DrainAsync(pump, options.AskTimeout));
            system.WhenTerminated.ContinueWith(_ => recorder.MarkStopped(), TaskScheduler.Default);
            runtime.MarkStarted(system, pump, options);
        });
    }

    /// <summary>The shutdown drain: intake stops and everything accepted reaches the pump's taps.</summary>
    internal static async Task<Akka.Done> DrainAsync(IActorRef pump, TimeSpan timeout)
    {
        try
        {
            await pump.Ask<IngressPumpActor.Drained>(IngressPumpActor.DrainAll.Instance, timeout).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AskTimeoutException or OperationCanceledException)
        {
            // The pump is gone or stuck; what it did not drain stays counted as pending in the ingress counters.
        }
        return Akka.Done.Instance;
    }
}
