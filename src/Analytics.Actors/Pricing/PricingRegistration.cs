using Analytics.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Analytics.Actors.Pricing;

/// <summary>Registers the price catalog used by the pump.</summary>
internal static class PricingRegistration
{
    public static IServiceCollection AddPricing(this IServiceCollection services)
    {
        services.TryAddSingleton<IPriceCatalog>(_ => PriceTable.Embedded);
        return services;
    }
}
