using Analytics.Actors;
using Analytics.Actors.Hosting;
using Analytics.Actors.Pricing;
using Analytics.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Analytics.Tests.Pricing;

/// <summary><c>Analytics:Pricing</c>: binding, strict keys and validation messages that name the full key.</summary>
public sealed class PricingOptionsSpecs
{
    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddUsageAnalytics(configuration).BuildServiceProvider();
    }

    private static List<string> Failures(PricingOptions pricing)
    {
        var result = new AnalyticsOptionsValidator().Validate(null, new AnalyticsOptions { Pricing = pricing });
        return result.Failed ? [.. result.Failures!] : [];
    }

    [Fact]
    public void Defaults_are_documented_values()
    {
        var o = new PricingOptions();
        Assert.Null(o.File);
        Assert.True(o.ReloadOnChange);
        Assert.Equal(TimeSpan.FromMilliseconds(500), o.ReloadDelay);
        Assert.Empty(o.Overrides);
        Assert.Empty(Failures(o));
    }

    [Fact]
    public void Overrides_bind_from_configuration_and_price_their_models()
    {
        using var sp = Services(new()
        {
            ["Analytics:Pricing:ReloadOnChange"] = "false",
            ["Analytics:Pricing:Overrides:acme-llm:Input"] = "200000",
            ["Analytics:Pricing:Overrides:acme-llm:Output"] = "800000",
            ["Analytics:Pricing:Overrides:acme-llm:CacheRead"] = "20000",
            ["Analytics:Pricing:Overrides:acme-llm:Provider"] = "Meta",
            // A fine-tune id holds ':' so it cannot be a configuration key: any key plus Model.
            ["Analytics:Pricing:Overrides:support-bot:Model"] = "ft:gpt-4o-mini-2024-07-18:acme:support:9xYz12",
            ["Analytics:Pricing:Overrides:support-bot:Input"] = "450000",
            ["Analytics:Pricing:Overrides:support-bot:Output"] = "1800000",
            // Overrides also beat the embedded price of a known model.
            ["Analytics:Pricing:Overrides:gpt-4o:Input"] = "2000000",
            ["Analytics:Pricing:Overrides:gpt-4o:Output"] = "8000000",
        });
        var pricing = sp.GetRequiredService<IOptions<AnalyticsOptions>>().Value.Pricing;
        Assert.False(pricing.ReloadOnChange);
        Assert.Equal(200_000, pricing.Overrides["acme-llm"].Input);

        var catalog = sp.GetRequiredService<IPriceCatalog>();
        Assert.IsType<PriceCatalog>(catalog);
        Assert.True(catalog.TryGetPrice("acme-llm", out var acme));
        Assert.Equal(PricingTestSupport.Price(200_000, 800_000, cacheRead: 20_000, provider: "meta"), acme);
        Assert.True(catalog.TryGetPrice("ft:gpt-4o-mini-2024-07-18:acme:support:9xYz12", out var bot));
        Assert.Equal(PricingTestSupport.Price(450_000, 1_800_000, provider: "openai"), bot);
        Assert.True(catalog.TryGetPrice("openai/gpt-4o", out var gpt4o));
        Assert.Equal(2_000_000, gpt4o.InputMicrosPerMillion);
        Assert.Null(gpt4o.CacheReadMicrosPerMillion); // an override replaces the whole entry
    }

    [Theory]
    [InlineData("Analytics:Pricing:Fiel", "Fiel")]
    [InlineData("Analytics:Pricing:Overrides:acme-llm:InputPrice", "InputPrice")]
    public void An_unknown_key_fails_loudly(string key, string named)
    {
        using var sp = Services(new() { [key] = "1" });
        var e = Assert.Throws<InvalidOperationException>(() => sp.GetRequiredService<IOptions<AnalyticsOptions>>().Value);
        // For a dictionary value the binder puts the key's name in the inner exception.
        var messages = e.Message + " | " + e.InnerException?.Message;
        Assert.True(messages.Contains(named, StringComparison.Ordinal), messages);
    }

    [Fact]
    public void Validation_names_the_full_key_and_the_value()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid().ToString("N"), "prices.json");
        var failures = Failures(new PricingOptions
        {
            File = missing,
            ReloadDelay = TimeSpan.FromMinutes(2),
            Overrides =
            {
                ["my-model"] = new PriceOverride { Input = -5, CacheRead = -1 },
                ["other"] = new PriceOverride { Model = " ", Input = 1, Output = 2, Reasoning = -7 },
            },
        });

        Assert.Equal(
        [
            $"Analytics:Pricing:File must name an existing file: the price file '{missing}' does not exist.",
            "Analytics:Pricing:ReloadDelay must be between 00:00:00 and 00:01:00 (got 00:02:00).",
            "Analytics:Pricing:Overrides:my-model:Input must be >= 0 (got -5).",
            "Analytics:Pricing:Overrides:my-model:Output is required (microdollars per million tokens, >= 0).",
            "Analytics:Pricing:Overrides:my-model:CacheRead must be >= 0 (got -1).",
            "Analytics:Pricing:Overrides:other:Model must be a model name or unset (got an empty string).",
            "Analytics:Pricing:Overrides:other:Reasoning must be >= 0 (got -7).",
        ], failures);
    }

    [Fact]
    public void Two_overrides_of_one_model_are_refused()
    {
        var failures = Failures(new PricingOptions
        {
            Overrides =
            {
                ["acme"] = new PriceOverride { Input = 1, Output = 2 },
                ["acme-again"] = new PriceOverride { Model = "ACME", Input = 3, Output = 4 },
            },
        });
        Assert.Equal(["Analytics:Pricing:Overrides:acme-again prices model 'ACME', which Analytics:Pricing:Overrides:acme prices already."], failures);
    }

    [Fact]
    public void A_clone_does_not_share_overrides()
    {
        var original = new AnalyticsOptions { Pricing = { Overrides = { ["m"] = new PriceOverride { Input = 1, Output = 2 } } } };
        var copy = original.Clone();
        copy.Pricing.Overrides["m"].Input = 99;
        copy.Pricing.Overrides["n"] = new PriceOverride();

        Assert.Equal(1, original.Pricing.Overrides["m"].Input);
        Assert.False(original.Pricing.Overrides.ContainsKey("n"));
    }
}
