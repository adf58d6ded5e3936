using Analytics.Actors.Pricing;
using Analytics.Contracts;
using Xunit;
using static Analytics.Tests.Pricing.PricingTestSupport;

namespace Analytics.Tests.Pricing;

/// <summary>Model-name resolution, one rule at a time, on small tables where only the rule under test can answer.</summary>
public sealed class PriceTableSpecs
{
    private static readonly ModelPrice Gpt4o = Price(2_500_000, 10_000_000, 1_250_000);
    private static readonly ModelPrice Sonnet45 = Price(3_000_000, 15_000_000, 300_000, 3_750_000, provider: "anthropic");

    private static PriceTable Table(params (string Name, ModelPrice Price)[] entries)
    {
        var list = new List<KeyValuePair<string, ModelPrice>>();
        foreach (var (name, price) in entries) list.Add(new(name, price));
        return new PriceTable(list);
    }

    private static string? Resolve(PriceTable table, string model) => table.TryResolve(model, out var entry, out _) ? entry : null;

    [Fact]
    public void Exact_name_wins_over_a_name_differing_only_in_case()
    {
        var upper = Price(1, 1);
        var lower = Price(2, 2);
        var table = Table(("GPT-X", upper), ("gpt-x", lower));

        Assert.True(table.TryGetPrice("gpt-x", out var p));
        Assert.Same(lower, p);
        Assert.True(table.TryGetPrice("GPT-X", out p));
        Assert.Same(upper, p);
    }

    [Theory]
    [InlineData("GPT-4O")]
    [InlineData("Gpt-4o")]
    [InlineData("  gpt-4o  ")]
    public void Case_insensitive_and_trimmed_names_resolve(string model)
    {
        var table = Table(("gpt-4o", Gpt4o));
        Assert.Equal("gpt-4o", Resolve(table, model));
    }

    [Theory]
    [InlineData("openai/gpt-4o", "gpt-4o")]
    [InlineData("azure/gpt-4o", "gpt-4o")]
    [InlineData("anthropic/claude-sonnet-4-5-20250929", "claude-sonnet-4-5-20250929")]
    [InlineData("vertex_ai/claude-sonnet-4-5-20250929", "claude-sonnet-4-5-20250929")]
    [InlineData("bedrock/claude-sonnet-4-5-20250929", "claude-sonnet-4-5-20250929")]
    [InlineData("openrouter/anthropic/claude-sonnet-4-5-20250929", "claude-sonnet-4-5-20250929")]
    [InlineData("OpenAI/GPT-4o", "gpt-4o")]
    public void Provider_prefixed_names_resolve_to_the_base_model(string model, string expected)
    {
        var table = Table(("gpt-4o", Gpt4o), ("claude-sonnet-4-5-20250929", Sonnet45));
        Assert.Equal(expected, Resolve(table, model));
    }

    [Fact]
    public void A_prefixed_entry_wins_over_the_base_model_also_for_its_dated_snapshots()
    {
        var azure = Price(2_750_000, 11_000_000);
        var table = Table(("gpt-4o", Gpt4o), ("azure/gpt-4o", azure));

        Assert.Equal("azure/gpt-4o", Resolve(table, "azure/gpt-4o"));
        Assert.Equal("azure/gpt-4o", Resolve(table, "azure/gpt-4o-2024-08-06"));
        Assert.Equal("gpt-4o", Resolve(table, "openai/gpt-4o-2024-08-06"));
    }

    [Theory]
    [InlineData("bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0", "claude-3-5-sonnet-20240620")]
    [InlineData("anthropic.claude-3-5-sonnet-20240620-v1:0", "claude-3-5-sonnet-20240620")]
    [InlineData("bedrock/us.anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet-20241022")]
    [InlineData("eu.anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet-20241022")]
    [InlineData("bedrock/converse/global.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5-20250929")]
    public void Bedrock_ids_resolve_to_the_vendor_model(string model, string expected)
    {
        var table = Table(
            ("claude-3-5-sonnet-20240620", Sonnet45), ("claude-3-5-sonnet-20241022", Sonnet45 with { InputMicrosPerMillion = 3_000_001 }),
            ("claude-sonnet-4-5-20250929", Sonnet45));
        Assert.Equal(expected, Resolve(table, model));
    }

    [Fact]
    public void A_bedrock_entry_of_its_own_wins()
    {
        var bedrock = Price(3_300_000, 16_500_000, provider: "anthropic");
        var table = Table(("claude-3-5-sonnet-20240620", Sonnet45), ("anthropic.claude-3-5-sonnet-20240620-v1:0", bedrock));
        Assert.Equal("anthropic.claude-3-5-sonnet-20240620-v1:0", Resolve(table, "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0"));
    }

    [Theory]
    [InlineData("ft:gpt-4o-mini-2024-07-18:acme::9xYz12", "ft:gpt-4o-mini-2024-07-18")]
    [InlineData("ft:gpt-4o-mini-2024-07-18:acme:support-bot:9xYz12", "ft:gpt-4o-mini-2024-07-18")]
    [InlineData("ft:gpt-4o-mini-2024-07-18", "ft:gpt-4o-mini-2024-07-18")]
    [InlineData("openai/ft:gpt-4o-mini-2024-07-18:acme::9xYz12", "ft:gpt-4o-mini-2024-07-18")]
    // The fine-tune of an undated base finds the one dated fine-tune price before the base model's price.
    [InlineData("ft:gpt-4o-mini:acme::9xYz12", "ft:gpt-4o-mini-2024-07-18")]
    // No fine-tune price: the base model's.
    [InlineData("ft:gpt-4.1-2025-04-14:acme::abc", "gpt-4.1-2025-04-14")]
    [InlineData("ft:gpt-4.1:acme::abc", "gpt-4.1")]
    public void Fine_tunes_resolve_to_the_fine_tune_price_then_the_base(string model, string expected)
    {
        var table = Table(
            ("gpt-4o-mini", Price(150_000, 600_000)), ("ft:gpt-4o-mini-2024-07-18", Price(300_000, 1_200_000, 150_000)),
            ("gpt-4.1", Price(2_000_000, 8_000_000)), ("gpt-4.1-2025-04-14", Price(2_000_000, 8_000_000, 500_000)));
        Assert.Equal(expected, Resolve(table, model));
    }

    [Theory]
    [InlineData("gpt-4o-2024-08-06")]
    [InlineData("gpt-4o-2099-12-31")]
    [InlineData("gpt-4o-20240806")]
    [InlineData("GPT-4o-2024-08-06")]
    public void A_dated_snapshot_resolves_to_its_undated_alias(string model)
    {
        var table = Table(("gpt-4o", Gpt4o));
        Assert.Equal("gpt-4o", Resolve(table, model));
    }

    [Theory]
    [InlineData("claude-sonnet-4-5")]
    [InlineData("Claude-Sonnet-4-5")]
    [InlineData("anthropic/claude-sonnet-4-5")]
    [InlineData("claude-sonnet-4-5@20250929")]
    [InlineData("vertex_ai/claude-sonnet-4-5@20250929")]
    public void An_undated_name_resolves_to_the_single_dated_snapshot(string model)
    {
        var table = Table(("claude-sonnet-4-5-20250929", Sonnet45), ("claude-sonnet-4-20250514", Sonnet45));
        Assert.Equal("claude-sonnet-4-5-20250929", Resolve(table, model));
    }

    [Fact]
    public void Several_dated_snapshots_resolve_only_when_they_share_one_price()
    {
        var table = Table(
            ("claude-3-5-sonnet-20240620", Sonnet45), ("claude-3-5-sonnet-20241022", Sonnet45 with { }),
            ("gpt-4o-2024-05-13", Price(5_000_000, 15_000_000)), ("gpt-4o-2024-08-06", Gpt4o));

        Assert.True(table.TryGetPrice("claude-3-5-sonnet", out var p));
        Assert.Equal(Sonnet45, p);
        Assert.False(table.TryGetPrice("gpt-4o", out _)); // two snapshots, two prices: no guess
        Assert.Equal("gpt-4o-2024-08-06", Resolve(table, "gpt-4o-2024-08-06"));
    }

    [Fact]
    public void The_vertex_at_date_form_prefers_the_vendor_snapshot_over_the_alias()
    {
        var alias = Price(1, 1, provider: "anthropic");
        var table = Table(("claude-opus-4-1", alias), ("claude-opus-4-1-20250805", Price(15_000_000, 75_000_000, provider: "anthropic")));
        Assert.Equal("claude-opus-4-1-20250805", Resolve(table, "claude-opus-4-1@20250805"));
        Assert.Equal("claude-opus-4-1", Resolve(table, "claude-opus-4-1@20991231"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("acme-private-llm")]
    [InlineData("gpt-4o-mini")] // a longer name is not a prefix match of gpt-4o
    [InlineData("openai/")]
    [InlineData("ft:")]
    [InlineData("ft::org::id")]
    [InlineData("gpt-4o-12345678")] // not a date: no alias fallback
    public void Names_no_rule_matches_are_unpriced(string model)
    {
        var table = Table(("gpt-4o", Gpt4o));
        Assert.False(table.TryGetPrice(model, out var price));
        Assert.Null(price);
    }

    [Theory]
    [InlineData("gpt-4o-2024-08-06", true, "gpt-4o", "20240806", '-')]
    [InlineData("claude-sonnet-4-5-20250929", true, "claude-sonnet-4-5", "20250929", '-')]
    [InlineData("claude-sonnet-4-5@20250929", true, "claude-sonnet-4-5", "20250929", '@')]
    [InlineData("gpt-4-0613", false, "", "", '\0')]
    [InlineData("model-12345678", false, "", "", '\0')]
    [InlineData("gpt-4o-2024-13-06", false, "", "", '\0')]
    [InlineData("-20240806", false, "", "", '\0')]
    public void Date_suffixes_are_recognised_only_when_plausible(string name, bool isDated, string stem, string date, char separator)
    {
        Assert.Equal(isDated, ModelNames.TrySplitDate(name, out var s, out var d, out var sep));
        Assert.Equal(stem, s.ToString());
        Assert.Equal(date, d);
        Assert.Equal(separator, sep);
    }

    [Fact]
    public void An_overlay_replaces_entries_ignoring_case_and_keeps_the_rest()
    {
        var table = Table(("gpt-4o", Gpt4o), ("claude-sonnet-4-5", Sonnet45));
        var cheaper = Price(1_000_000, 4_000_000);

        var combined = table.WithOverlay([new("GPT-4o", cheaper), new("acme-llm", Price(7, 8))], "2026-01-01");

        Assert.Equal(3, combined.Count);
        Assert.True(combined.TryGetPrice("gpt-4o", out var p));
        Assert.Same(cheaper, p);
        Assert.True(combined.TryGetPrice("claude-sonnet-4-5", out p));
        Assert.Same(Sonnet45, p);
        Assert.Equal("2026-01-01", combined.EffectiveDate);
        Assert.True(table.TryGetPrice("gpt-4o", out p)); // the original is untouched
        Assert.Same(Gpt4o, p);
    }

    [Theory]
    [InlineData("openai/gpt-4o-2024-08-06", "gpt-4o-2024-08-06")]
    [InlineData("azure/gpt-4.1-mini", "gpt-4.1-mini")]
    [InlineData("claude-sonnet-4", "claude-sonnet-4-20250514")]
    [InlineData("vertex_ai/claude-3-5-haiku@20241022", "claude-3-5-haiku-20241022")]
    [InlineData("bedrock/us.anthropic.claude-3-7-sonnet-20250219-v1:0", "claude-3-7-sonnet-20250219")]
    [InlineData("gemini/gemini-2.5-flash", "gemini-2.5-flash")]
    [InlineData("models/gemini-2.5-pro", "gemini-2.5-pro")]
    [InlineData("xai/grok-4-0709", "grok-4-0709")]
    [InlineData("ft:gpt-4o-mini-2024-07-18:acme::9xYz12", "ft:gpt-4o-mini-2024-07-18")]
    [InlineData("mistral/mistral-large-latest", "mistral-large-latest")]
    [InlineData("deepseek/deepseek-reasoner", "deepseek-reasoner")]
    public void The_embedded_catalog_resolves_names_as_gateways_send_them(string model, string expected)
    {
        Assert.Equal(expected, Resolve(PriceTable.Embedded, model));
    }
}
