using Akka.Actor;
using Akka.Hosting;
using Analytics.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Analytics.Actors.Pricing;
using Analytics.Actors.Sync;

namespace Analytics.Actors.Hosting;

/// <summary>
/// Registration of the usage analytics: <see cref="AddUsageAnalytics"/> for options and the recorder,
/// <c>WithUsageAnalytics</c> for the actors. Use both:
/// <code>
/// services.AddUsageAnalytics(configuration);
/// services.AddAkka("analytics", builder => builder.WithUsageAnalytics());
/// </code>
/// </summary>
public static class AnalyticsHostingExtensions
{
    /// <summary>
    /// Binds <see cref="AnalyticsOptions"/> from the <c>Analytics</c> section of <paramref name="configuration"/>
    /// (unknown keys are errors, so a typo fails loudly), validates them when the host starts, and registers
    /// the <see cref="UsageRecorder"/>, the <see cref="IPriceCatalog"/> and a <see cref="TimeProvider"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The root configuration (the one holding the <c>Analytics</c> section).</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddUsageAnalytics(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<AnalyticsOptions>()
            .Bind(configuration.GetSection(AnalyticsOptions.SectionName), o => o.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AnalyticsOptions>, AnalyticsOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddPricing();
        services.AddSync();
        services.TryAddSingleton<UsageAnalyticsRuntime>();
        services.TryAddSingleton(sp => sp.GetRequiredService<UsageAnalyticsRuntime>().GetRecorder(sp.GetRequiredService<IOptions<AnalyticsOptions>>().Value));
        return services;
    }

    /// <summary>Starts the analytics actors with the options bound by <see cref="AddUsageAnalytics"/>.</summary>
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
            // Sync first: it subscribes to the recorder, so the pump hands it events from the first drain on.
            var syncCounters = SyncRegistration.Start(system, registry, resolver, options, recorder);
            var pump = system.ActorOf(IngressPumpActor.CreateProps(recorder, catalog, options, time, syncCounters), "usage-analytics");
            registry.Register<IngressPumpActor>(pump);
        });
    }

    /// <summary>
    /// Asks the analytics coordinator for a read-your-writes <see cref="UsageStats"/> snapshot.
    /// </summary>
    /// <param name="registry">The actor registry of the system running the analytics.</param>
    /// <param name="timeout">Ask timeout.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The stats.</returns>
    public static Task<UsageStats> GetUsageStatsAsync(this IReadOnlyActorRegistry registry, TimeSpan timeout, CancellationToken cancellationToken = default)
        => registry.Get<IngressPumpActor>().Ask<UsageStats>(UsageQueries.GetStats.Instance, timeout, cancellationToken);
}
