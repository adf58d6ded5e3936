using Akka.Actor;
using Akka.DependencyInjection;
using Akka.Hosting;
using Analytics.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace Analytics.Actors.Sync;

/// <summary>Registers and starts the sync pipeline when an endpoint is configured.</summary>
internal static class SyncRegistration
{
    public static IServiceCollection AddSync(this IServiceCollection services) => services;

    /// <summary>
    /// Starts sync for <paramref name="recorder"/> if configured. Returns a reader of its counters for the
    /// stats, or null when sync is off.
    /// </summary>
    public static Func<SyncCounters?>? Start(ActorSystem system, IActorRegistry registry, IDependencyResolver resolver, AnalyticsOptions options, UsageRecorder recorder)
    {
        _ = (system, registry, resolver, options, recorder);
        return null;
    }
}
