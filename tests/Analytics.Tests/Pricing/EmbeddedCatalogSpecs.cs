using System.Globalization;
using Analytics.Actors.Pricing;
using Xunit;

namespace Analytics.Tests.Pricing;

/// <summary>The catalog embedded in the library: it parses, every price is positive and the headline prices are the vendors'.</summary>
public sealed class EmbeddedCatalogSpecs
{
    private static readonly HashSet<string> CanonicalProviders = ["openai", "anthropic", "google", "mistral", "deepseek", "xai", "meta", "cohere"];

    [Fact]
    public void Every_entry_parses_and_every_price_is_positive()
    {
        var table = PriceTable.Embedded;

        Assert.True(table.Count >= 170, $"expected at least 170 models, found {table.Count}");
        foreach (var (name, p) in table.Entries)
        {
            Assert.True(p.InputMicrosPerMillion > 0, $"{name}: input");
            Assert.True(p.OutputMicrosPerMillion > 0, $"{name}: output");
            Assert.True(p.CacheReadMicrosPerMillion is null or > 0, $"{name}: cache_read");
            Assert.True(p.CacheCreationMicrosPerMillion is null or > 0, $"{name}: cache_write");
            Assert.True(p.ReasoningMicrosPerMillion is null or > 0, $"{name}: reasoning");
            // Cache reads are a discount on input everywhere; a larger value is a typo (an extra zero).
            Assert.True(p.CacheReadMicrosPerMillion is null || p.CacheReadMicrosPerMillion < p.InputMicrosPerMillion, $"{name}: cache_read >= input");
            Assert.Contains(p.Provider, CanonicalProviders);
            // The file's provider field and the name rules agree, so a name recorded without the catalog infers the same vendor.
            Assert.Equal(p.Provider, ProviderInference.Infer(name));
        }
    }

    [Fact]
    public void The_effective_date_is_a_real_date_no_later_than_today()
    {
        var date = DateOnly.ParseExact(PriceTable.Embedded.EffectiveDate!, "yyyy-MM-dd", CultureInfo.InvariantCulture);
        Assert.Equal(new DateOnly(2025, 12, 1), date);
        Assert.True(date <= DateOnly.FromDateTime(DateTime.UtcNow));
    }

    [Fact]
    public void Every_vendor_has_current_models()
    {
        var perProvider = new Dictionary<string, int>();
        foreach (var p in PriceTable.Embedded.Entries.Values) perProvider[p.Provider] = perProvider.GetValueOrDefault(p.Provider) + 1;

        Assert.True(perProvider["openai"] >= 20);
        Assert.True(perProvider["anthropic"] >= 10);
        Assert.True(perProvider["google"] >= 6);
        Assert.True(perProvider["mistral"] >= 8);
        Assert.True(perProvider["deepseek"] >= 2);
        Assert.True(perProvider["xai"] >= 5);
        Assert.True(perProvider["cohere"] >= 2);
    }

    // Headline list prices, in USD per million tokens (input, output, cache read, cache write), as published.
    [Theory]
    [InlineData("gpt-5", 1.25, 10, 0.125, null)]
    [InlineData("gpt-5-mini", 0.25, 2, 0.025, null)]
    [InlineData("gpt-4.1", 2, 8, 0.5, null)]
    [InlineData("gpt-4o", 2.5, 10, 1.25, null)]
    [InlineData("gpt-4o-mini", 0.15, 0.6, 0.075, null)]
    [InlineData("o3", 2, 8, 0.5, null)]
    [InlineData("o4-mini", 1.1, 4.4, 0.275, null)]
    [InlineData("claude-opus-4-5", 5, 25, 0.5, 6.25)]
    [InlineData("claude-sonnet-4-5-20250929", 3, 15, 0.3, 3.75)]
    [InlineData("claude-haiku-4-5", 1, 5, 0.1, 1.25)]
    [InlineData("claude-3-5-haiku-latest", 0.8, 4, 0.08, 1.0)]
    [InlineData("gemini-2.5-pro", 1.25, 10, 0.125, null)]
    [InlineData("gemini-2.5-flash", 0.3, 2.5, 0.03, null)]
    [InlineData("gemini-2.5-flash-lite", 0.1, 0.4, 0.01, null)]
    [InlineData("gemini-2.0-flash", 0.1, 0.4, 0.025, null)]
    [InlineData("mistral-large-latest", 2, 6, null, null)]
    [InlineData("mistral-medium-latest", 0.4, 2, null, null)]
    [InlineData("mistral-small-latest", 0.1, 0.3, null, null)]
    [InlineData("codestral-latest", 0.3, 0.9, null, null)]
    [InlineData("deepseek-chat", 0.28, 0.42, 0.028, null)]
    [InlineData("deepseek-reasoner", 0.28, 0.42, 0.028, null)]
    [InlineData("grok-4", 3, 15, 0.75, null)]
    [InlineData("grok-3-mini", 0.3, 0.5, 0.075, null)]
    [InlineData("grok-code-fast-1", 0.2, 1.5, 0.02, null)]
    [InlineData("command-a-03-2025", 2.5, 10, null, null)]
    public void Headline_models_carry_their_list_price(string model, double input, double output, double? cacheRead, double? cacheWrite)
    {
        Assert.True(PriceTable.Embedded.Entries.TryGetValue(model, out var p), model);
        Assert.Equal(Micros(input), p.InputMicrosPerMillion);
        Assert.Equal(Micros(output), p.OutputMicrosPerMillion);
        Assert.Equal(cacheRead is null ? null : Micros(cacheRead.Value), p.CacheReadMicrosPerMillion);
        Assert.Equal(cacheWrite is null ? null : Micros(cacheWrite.Value), p.CacheCreationMicrosPerMillion);
    }

    // Test data only: USD with at most three decimals, so rounding to micros is exact.
    private static long Micros(double usdPerMillion) => (long)Math.Round(usdPerMillion * 1_000_000);
}
