using Akka.Hosting;
using Analytics.Actors.Pricing;
using Analytics.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;
using static Analytics.Tests.Pricing.PricingTestSupport;

namespace Analytics.Tests.Pricing;

/// <summary>How <c>AddUsageAnalytics</c> registers the catalog, and how a bad price file stops a host from starting.</summary>
public sealed class PricingRegistrationSpecs
{
    private static IHost Host(Dictionary<string, string?> settings, Action<IServiceCollection>? before = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        before?.Invoke(builder.Services);
        builder.Services.AddUsageAnalytics(builder.Configuration);
        builder.Services.AddAkka("pricing-specs", akka => akka.WithUsageAnalytics());
        return builder.Build();
    }

    [Fact]
    public async Task The_default_catalog_is_the_reloading_catalog_built_at_start()
    {
        using var dir = new TempFolder();
        var path = dir.File("prices.json");
        File.WriteAllText(path, """{"acme-llm": {"input_cost_per_token": 4e-07, "output_cost_per_token": 1.6e-06, "litellm_provider": "meta_llama"}}""");
        using var host = Host(new() { ["Analytics:Pricing:File"] = path });

        await host.StartAsync();
        var catalog = Assert.IsType<PriceCatalog>(host.Services.GetRequiredService<IPriceCatalog>());
        Assert.Equal(path, catalog.FilePath);
        Assert.True(catalog.TryGetPrice("acme-llm", out var p));
        Assert.Equal(PricingTestSupport.Price(400_000, 1_600_000, provider: "meta"), p);
        await host.StopAsync();
    }

    [Fact]
    public void A_catalog_registered_first_wins()
    {
        var mine = new PriceTable([new("only-model", PricingTestSupport.Price(1, 2))]);
        using var host = Host([], services => services.AddSingleton<IPriceCatalog>(mine));
        Assert.Same(mine, host.Services.GetRequiredService<IPriceCatalog>());
    }

    [Fact]
    public async Task A_bad_price_file_fails_the_start_with_its_error()
    {
        using var dir = new TempFolder();
        var path = dir.File("prices.json");
        File.WriteAllText(path, """{"gpt-x": {"input_cost_per_token": 1e-06, "output_cost_per_token": "two dollars"}}""");
        using var host = Host(new() { ["Analytics:Pricing:File"] = path });

        var e = await Assert.ThrowsAsync<PriceFileException>(() => host.StartAsync());
        Assert.Equal(path, e.SourceName);
        Assert.Equal("gpt-x", e.Entry);
        Assert.Contains("field \"output_cost_per_token\" must be a number of USD per token (got two dollars)", e.Message);
    }
}
