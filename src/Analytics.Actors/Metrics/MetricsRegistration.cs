using System.Diagnostics.Metrics;
using Akka;
using Akka.Actor;
using Akka.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Analytics.Actors.Metrics;

/// <summary>Registers and starts the <c>Analytics.Usage</c> meter.</summary>
internal static class MetricsRegistration
{
    /// <summary>Longest wait at shutdown for the meter to measure what is queued.</summary>
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

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
        // After the final drain (an earlier phase) every event has been offered: measure what is queued, then detach, so
        // a stopped host holds no tap. Termination stops it too, for systems terminated without CoordinatedShutdown.
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "analytics-metrics-stop", () => StopAsync(pipeline));
        system.WhenTerminated.ContinueWith(_ => pipeline.StopAsync(), TaskScheduler.Default);
        return pipeline;
    }

    private static async Task<Done> StopAsync(MetricsPipeline pipeline)
    {
        try
        {
            await pipeline.StopAsync().WaitAsync(StopTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A listener stalls the reader: shutdown goes on; what it had not measured is lost to the meter only.
        }
        return Done.Instance;
    }
}
