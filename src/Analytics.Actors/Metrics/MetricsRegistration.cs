using System.Diagnostics.Metrics;
using Akka.Actor;
using Akka.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Analytics.Actors.Metrics;

/// <summary>Registers and starts the <c>Analytics.Usage</c> meter.</summary>
internal static class MetricsRegistration
{
    /// <summary>Registers the meter factory (if the host has none yet) and the store's signal hook.</summary>
    public static IServiceCollection AddUsageMetrics(this IServiceCollection services)
    {
        services.AddMetrics();
        services.TryAddSingleton<StoreSignalsSource>();
        return services;
    }

    /// <summary>
    /// Starts the meter for <paramref name="recorder"/> unless <c>Analytics:Metrics:Enabled</c> is false. Call it before
    /// the pump starts, so every event drained reaches the meter; the queue completes when the actor system terminates
    /// (after the pump's final drain). Returns the pipeline, or null when metrics are off.
    /// </summary>
    public static MetricsPipeline? Start(ActorSystem system, IDependencyResolver resolver, AnalyticsOptions options, UsageRecorder recorder)
    {
        var metrics = options.Metrics ?? new MetricsOptions();
        if (!metrics.Enabled) return null;
        var factory = resolver.GetService<IMeterFactory>()
            ?? throw new InvalidOperationException("Usage metrics need an IMeterFactory: call services.AddUsageAnalytics(configuration).");
        var pipeline = MetricsPipeline.Start(recorder, factory, metrics, resolver.GetService<SyncStatus>(), resolver.GetService<StoreSignalsSource>());
        system.WhenTerminated.ContinueWith(_ => pipeline.StopAsync(), TaskScheduler.Default);
        return pipeline;
    }
}
