using Analytics.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Analytics.Actors.Pricing;

/// <summary>Registers the price catalog used by the pump.</summary>
internal static class PricingRegistration
{
    /// <summary>
    /// Registers <see cref="PriceCatalog"/> as the <see cref="IPriceCatalog"/> unless one is registered already (so a
    /// caller's own catalog, registered first, wins), plus a hosted service that builds it when the host starts:
    /// a missing or malformed price file then fails the start with its message instead of the first stats query.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddPricing(this IServiceCollection services)
    {
        services.TryAddSingleton<IPriceCatalog>(sp => new PriceCatalog(
            sp.GetRequiredService<IOptions<AnalyticsOptions>>().Value.Pricing ?? new PricingOptions(),
            sp.GetService<ILoggerFactory>()?.CreateLogger<PriceCatalog>(),
            sp.GetService<TimeProvider>()));
        services.AddHostedService<PriceCatalogStartup>();
        return services;
    }

    /// <summary>Builds the catalog at start. Registered before the Akka host, so it runs first.</summary>
    internal sealed class PriceCatalogStartup(IServiceProvider services) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _ = services.GetRequiredService<IPriceCatalog>();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
