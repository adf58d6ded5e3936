using Analytics.Actors.Pricing;
using Analytics.Contracts;

namespace Analytics.Tests;

/// <summary>A fixed catalog so actor specs do not move when list prices are updated.</summary>
internal static class TestPrices
{
    public static readonly ModelPrice Alpha = new()
    {
        Provider = "openai", InputMicrosPerMillion = 2_000_000, OutputMicrosPerMillion = 8_000_000,
        CacheReadMicrosPerMillion = 500_000,
    };

    public static readonly ModelPrice Beta = new()
    {
        Provider = "anthropic", InputMicrosPerMillion = 3_000_000, OutputMicrosPerMillion = 15_000_000,
        CacheReadMicrosPerMillion = 300_000, CacheCreationMicrosPerMillion = 3_750_000,
    };

    public static readonly ModelPrice Gamma = new()
    {
        Provider = "google", InputMicrosPerMillion = 1_250_000, OutputMicrosPerMillion = 10_000_000,
        ReasoningMicrosPerMillion = 12_000_000,
    };

    public static readonly PriceTable Catalog = new(
    [
        new("alpha-1", Alpha),
        new("beta-1", Beta),
        new("gamma-1", Gamma),
    ]);
}
