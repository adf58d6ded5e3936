using System.Text.Json;
using Analytics.Actors.Pricing;
using Xunit;
using static Analytics.Tests.Pricing.PricingTestSupport;

namespace Analytics.Tests.Pricing;

/// <summary>Reading LiteLLM's price file and our own: exact conversion, skipping, providers and errors that name the entry.</summary>
public sealed class PriceFileReaderSpecs
{
    private static readonly (string Json, string Ours)[] LiteLlmFields =
    [
        ("input_cost_per_token", "input"), ("output_cost_per_token", "output"), ("cache_read_input_token_cost", "cache_read"),
        ("cache_creation_input_token_cost", "cache_write"), ("output_cost_per_reasoning_token", "reasoning"),
    ];

    // litellm_provider values that name the model's vendor, and the canonical provider each stands for.
    private static readonly Dictionary<string, string> VendorProviders = new(StringComparer.Ordinal)
    {
        ["openai"] = "openai", ["text-completion-openai"] = "openai", ["anthropic"] = "anthropic", ["gemini"] = "google",
        ["mistral"] = "mistral", ["codestral"] = "mistral", ["deepseek"] = "deepseek", ["xai"] = "xai",
        ["cohere"] = "cohere", ["cohere_chat"] = "cohere",
    };

    // Entries served by a host of several vendors (Azure, Bedrock, Vertex, Groq, ...): the vendor as a person reads it
    // from the name. Every such entry of the fixture must be listed, so a new one forces a decision here.
    private static readonly Dictionary<string, string> HostedProviders = new(StringComparer.Ordinal)
    {
        ["azure/gpt-4o"] = "openai",
        ["azure/eu/gpt-4o-2024-08-06"] = "openai",
        ["azure/gpt-5"] = "openai",
        ["azure/o3-mini"] = "openai",
        ["azure_ai/mistral-large-2407"] = "mistral",
        ["azure_ai/Llama-3.3-70B-Instruct"] = "meta",
        ["anthropic.claude-3-5-sonnet-20241022-v2:0"] = "anthropic",
        ["us.anthropic.claude-3-7-sonnet-20250219-v1:0"] = "anthropic",
        ["bedrock/us-east-1/meta.llama3-8b-instruct-v1:0"] = "meta",
        ["meta.llama3-1-70b-instruct-v1:0"] = "meta",
        ["mistral.mistral-large-2402-v1:0"] = "mistral",
        ["amazon.nova-pro-v1:0"] = "unknown",
        ["amazon.nova-micro-v1:0"] = "unknown",
        ["cohere.command-r-plus-v1:0"] = "cohere",
        ["vertex_ai/claude-3-5-sonnet@20240620"] = "anthropic",
        ["gemini-2.0-flash-001"] = "google",
        ["vertex_ai/mistral-large@2407"] = "mistral",
        ["vertex_ai/deepseek-ai/deepseek-r1-0528-maas"] = "deepseek",
        ["vertex_ai/meta/llama-4-maverick-17b-128e-instruct-maas"] = "meta",
        ["groq/llama-3.3-70b-versatile"] = "meta",
        ["groq/openai/gpt-oss-120b"] = "openai",
        ["together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo"] = "meta",
        ["fireworks_ai/accounts/fireworks/models/deepseek-v3"] = "deepseek",
        ["perplexity/sonar"] = "unknown",
        ["openrouter/anthropic/claude-3.5-sonnet"] = "anthropic",
    };

    [Fact]
    public void Every_entry_of_the_LiteLLM_fixture_converts_exactly()
    {
        var path = LiteLlmPrices;
        var json = File.ReadAllText(path);
        var content = PriceFileReader.Read(json, path);
        Assert.Equal(PriceFileFormat.LiteLlm, content.Format);
        Assert.Empty(content.RoundedPrices);

        using var doc = JsonDocument.Parse(json);
        int entries = 0, priced = 0, checkedPrices = 0, hosted = 0;
        foreach (var entry in doc.RootElement.EnumerateObject())
        {
            entries++;
            var e = entry.Value;
            // sample_spec documents the schema with zero prices: it has both fields and is still not a model.
            var hasPrices = entry.Name != "sample_spec"
                && e.TryGetProperty("input_cost_per_token", out _) && e.TryGetProperty("output_cost_per_token", out _);
            Assert.True(hasPrices == content.Table.Entries.ContainsKey(entry.Name), $"{entry.Name}: priced in the file {hasPrices}, in the table {!hasPrices}");
            if (!hasPrices) continue;
            priced++;
            var p = content.Table.Entries[entry.Name];
            foreach (var (jsonField, ours) in LiteLlmFields)
            {
                long? actual = ours switch
                {
                    "input" => p.InputMicrosPerMillion,
                    "output" => p.OutputMicrosPerMillion,
                    "cache_read" => p.CacheReadMicrosPerMillion,
                    "cache_write" => p.CacheCreationMicrosPerMillion,
                    _ => p.ReasoningMicrosPerMillion,
                };
                if (!e.TryGetProperty(jsonField, out var raw))
                {
                    Assert.True(actual is null, $"{entry.Name}.{jsonField} is absent from the file but the table has {actual}");
                    continue;
                }
                var expected = ExactMicrosPerMillion(raw.GetRawText());
                Assert.True(expected is not null, $"{entry.Name}.{jsonField} = {raw.GetRawText()} is not whole micros per million");
                Assert.True((long)expected!.Value == actual, $"{entry.Name}.{jsonField} = {raw.GetRawText()}: expected {expected}, got {actual}");
                checkedPrices++;
            }

            var litellmProvider = e.GetProperty("litellm_provider").GetString()!;
            string expectedProvider;
            if (VendorProviders.TryGetValue(litellmProvider, out var vendor))
            {
                expectedProvider = vendor;
            }
            else
            {
                Assert.True(HostedProviders.TryGetValue(entry.Name, out var h), $"{entry.Name} (litellm_provider {litellmProvider}) is missing from HostedProviders");
                expectedProvider = h!;
                hosted++;
            }
            Assert.True(expectedProvider == p.Provider, $"{entry.Name} (litellm_provider {litellmProvider}): expected provider {expectedProvider}, got {p.Provider}");
        }
        // The counts come from the fixture; the literals make an edit of the fixture a deliberate edit of this spec.
        Assert.Equal(82, entries);
        Assert.Equal(72, priced);
        Assert.Equal(priced, content.Table.Count);
        Assert.Equal(entries - priced, content.SkippedEntries); // sample_spec, images, audio, per-character embeddings, rerank, sessions
        Assert.Equal(HostedProviders.Count, hosted);
        Assert.True(checkedPrices > 2 * priced, $"only {checkedPrices} prices compared");
    }

    [Fact]
    public void The_LiteLLM_fixture_holds_the_cases_worth_testing()
    {
        // The exact-conversion spec above is only as good as the fixture: guard the cases it exists for.
        var json = File.ReadAllText(LiteLlmPrices);
        using var doc = JsonDocument.Parse(json);
        var names = new List<string>();
        var rawPrices = new List<string>();
        var modes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in doc.RootElement.EnumerateObject())
        {
            names.Add(entry.Name);
            if (entry.Value.TryGetProperty("mode", out var mode)) modes.Add(mode.GetString()!);
            foreach (var (field, _) in LiteLlmFields)
            {
                if (entry.Value.TryGetProperty(field, out var raw)) rawPrices.Add(raw.GetRawText());
            }
        }

        Assert.Contains("sample_spec", names);
        Assert.Contains("1.25e-06", rawPrices);
        Assert.Contains("1e-07", rawPrices);
        Assert.Contains(rawPrices, r => r.StartsWith("0.0000", StringComparison.Ordinal)); // plain decimals
        Assert.Contains(rawPrices, r => r is "0" or "0.0");
        Assert.Contains(names, n => n.StartsWith("azure/", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("bedrock/", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("vertex_ai/", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("ft:", StringComparison.Ordinal));
        Assert.Contains("gpt-4o-2024-08-06", names); // a dated snapshot beside its alias
        Assert.Contains("gpt-4o", names);
        Assert.Contains(doc.RootElement.EnumerateObject(), e => e.Value.TryGetProperty("output_cost_per_reasoning_token", out _) && e.Name != "sample_spec");
        Assert.Superset(new HashSet<string> { "chat", "completion", "embedding", "image_generation", "audio_transcription", "audio_speech", "rerank" }, modes);
    }

    [Theory]
    [InlineData("1.25e-06", 1_250_000, false)]
    [InlineData("1.25E-06", 1_250_000, false)]
    [InlineData("0.00000125", 1_250_000, false)]
    [InlineData("1e-07", 100_000, false)] // as a double, 1e-07 x 1e6 x 1e6 is 99999.99999999999: flooring it loses a micro
    [InlineData("1.1e-06", 1_100_000, false)]
    [InlineData("2.75e-07", 275_000, false)]
    [InlineData("5.46875e-07", 546_875, false)]
    [InlineData("1.875e-05", 18_750_000, false)]
    [InlineData("0.0006", 600_000_000, false)]
    [InlineData("0", 0, false)]
    [InlineData("0.0", 0, false)]
    // Finer than a micro per million: rounded half to even, and said so.
    [InlineData("2.5e-12", 2, true)]
    [InlineData("3.5e-12", 4, true)]
    [InlineData("1.0000006e-06", 1_000_001, true)]
    [InlineData("2.7777777777777777e-07", 277_778, true)]
    public void USD_per_token_converts_to_micros_per_million_exactly(string text, long expected, bool rounds)
    {
        Assert.Null(PriceFileReader.TryConvertUsdPerToken(text, out var micros, out var rounded));
        Assert.Equal(expected, micros);
        Assert.Equal(rounds, rounded);
    }

    [Fact]
    public void Floating_point_would_get_these_wrong()
    {
        // Why the reader parses the JSON text as a decimal: the double route drops a micro on ordinary prices.
        Assert.Equal(99_999, (long)Math.Floor(double.Parse("1e-07", System.Globalization.CultureInfo.InvariantCulture) * 1e6 * 1e6));
        Assert.Null(PriceFileReader.TryConvertUsdPerToken("1e-07", out var micros, out _));
        Assert.Equal(100_000, micros);
    }

    [Fact]
    public void A_rounded_price_is_reported_by_entry_and_field()
    {
        var content = PriceFileReader.Read("""{"odd-model": {"input_cost_per_token": 2.7777777777777777e-07, "output_cost_per_token": 1e-06}}""", "odd.json");
        Assert.Equal(["odd-model.input_cost_per_token: 2.7777777777777777e-07"], content.RoundedPrices);
        Assert.Equal(277_778, content.Table.Entries["odd-model"].InputMicrosPerMillion);
    }

    [Fact]
    public void LiteLLM_reading_skips_sample_spec_and_entries_without_token_prices()
    {
        const string json = """
            {
              "sample_spec": {"input_cost_per_token": 0.0, "output_cost_per_token": 0.0, "litellm_provider": "one of https://docs.litellm.ai/docs/providers", "max_tokens": "LEGACY parameter"},
              "dall-e-3": {"litellm_provider": "openai", "mode": "image_generation", "output_cost_per_image": 0.04},
              "text-embedding-3-small": {"litellm_provider": "openai", "mode": "embedding", "input_cost_per_token": 2e-08, "output_cost_per_token": 0.0},
              "input-only": {"litellm_provider": "openai", "input_cost_per_token": 1e-06},
              "null-output": {"litellm_provider": "openai", "input_cost_per_token": 1e-06, "output_cost_per_token": null},
              "o3-mini": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1.1e-06, "output_cost_per_token": "4.4e-06", "output_cost_per_reasoning_token": 5e-06}
            }
            """;
        var content = PriceFileReader.Read(json, "litellm.json");

        Assert.Equal(PriceFileFormat.LiteLlm, content.Format);
        Assert.Equal(["o3-mini", "text-embedding-3-small"], content.Table.Entries.Keys.Order());
        Assert.Equal(4, content.SkippedEntries);
        var o3 = content.Table.Entries["o3-mini"];
        Assert.Equal(4_400_000, o3.OutputMicrosPerMillion); // a number written as a string, as LiteLLM accepts
        Assert.Equal(5_000_000, o3.ReasoningMicrosPerMillion);
        Assert.Equal(0, content.Table.Entries["text-embedding-3-small"].OutputMicrosPerMillion);
    }

    [Theory]
    [InlineData("openai", "gpt-4o", "openai")]
    [InlineData("text-completion-openai", "gpt-3.5-turbo-instruct", "openai")]
    [InlineData("azure", "azure/gpt-4o", "openai")]
    [InlineData("azure", "azure/my-deployment", "openai")]
    [InlineData("azure_ai", "azure_ai/mistral-large-2407", "mistral")]
    [InlineData("azure_ai", "azure_ai/Llama-3.3-70B-Instruct", "meta")]
    [InlineData("anthropic", "claude-sonnet-4-5", "anthropic")]
    [InlineData("vertex_ai-language-models", "gemini-2.5-pro", "google")]
    [InlineData("vertex_ai-language-models", "vertex_ai/text-unicorn", "google")]
    [InlineData("vertex_ai-anthropic_models", "vertex_ai/claude-3-5-sonnet@20240620", "anthropic")]
    [InlineData("vertex_ai-mistral_models", "vertex_ai/mistral-large@2407", "mistral")]
    [InlineData("gemini", "gemini/gemini-2.5-flash", "google")]
    [InlineData("mistral", "mistral/mistral-large-latest", "mistral")]
    [InlineData("codestral", "codestral/codestral-latest", "mistral")]
    [InlineData("deepseek", "deepseek/deepseek-chat", "deepseek")]
    [InlineData("xai", "xai/grok-4", "xai")]
    [InlineData("bedrock", "anthropic.claude-3-haiku-20240307-v1:0", "anthropic")]
    [InlineData("bedrock", "meta.llama3-70b-instruct-v1:0", "meta")]
    [InlineData("bedrock_converse", "us.amazon.nova-lite-v1:0", "unknown")]
    [InlineData("cohere_chat", "command-r-plus", "cohere")]
    [InlineData("cohere", "embed-english-v3.0", "cohere")]
    [InlineData("meta_llama", "meta_llama/Llama-4-Scout-17B-16E-Instruct-FP8", "meta")]
    [InlineData("groq", "groq/llama-3.3-70b-versatile", "meta")]
    [InlineData("together_ai", "together_ai/deepseek-ai/DeepSeek-V3", "deepseek")]
    [InlineData("fireworks_ai", "fireworks_ai/accounts/fireworks/models/qwen3-235b", "unknown")]
    [InlineData(null, "grok-3-mini", "xai")]
    public void LiteLLM_providers_map_to_canonical_vendors(string? litellmProvider, string model, string expected)
    {
        Assert.Equal(expected, ProviderInference.FromLiteLlm(litellmProvider, model));
    }

    [Fact]
    public void Our_own_format_is_detected_and_read()
    {
        const string json = """
            {
              "format": "analytics-prices/1",
              "effective_date": "2026-01-15",
              // comments and trailing commas are allowed in hand-written files
              "models": {
                "acme-llm": {"provider": "Meta", "input": 200000, "output": 600000, "reasoning": 900000},
                "mistral-tiny-2026": {"input": 10000, "output": 30000, "cache_read": 1000, "cache_write": 12500},
              }
            }
            """;
        var content = PriceFileReader.Read(json, "own.json");

        Assert.Equal(PriceFileFormat.Analytics, content.Format);
        Assert.Equal("2026-01-15", content.Table.EffectiveDate);
        var acme = content.Table.Entries["acme-llm"];
        Assert.Equal(PricingTestSupport.Price(200_000, 600_000, reasoning: 900_000, provider: "meta"), acme);
        var tiny = content.Table.Entries["mistral-tiny-2026"];
        Assert.Equal(PricingTestSupport.Price(10_000, 30_000, 1_000, 12_500, provider: "mistral"), tiny); // provider inferred from the name
    }

    [Theory]
    [InlineData("""{"models": {"m1": {"input": 1, "output": 2}, "bad-one": {"output": 2}}}""", "bad-one", "field \"input\" is required")]
    [InlineData("""{"models": {"bad-one": {"input": -5, "output": 2}}}""", "bad-one", "field \"input\" must be a whole number >= 0")]
    [InlineData("""{"models": {"bad-one": {"input": 2.5, "output": 2}}}""", "bad-one", "(got 2.5)")]
    [InlineData("""{"models": {"bad-one": {"input": 1, "output": 2, "cache_reed": 1}}}""", "bad-one", "unknown field \"cache_reed\"")]
    [InlineData("""{"models": {"bad-one": [1, 2]}}""", "bad-one", "expected an object, got array")]
    [InlineData("""{"models": {"bad-one": {"provider": 7, "input": 1, "output": 2}}}""", "bad-one", "field \"provider\" must be a non-empty string")]
    [InlineData("""{"gpt-x": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06}, "bad-one": {"input_cost_per_token": -1e-06, "output_cost_per_token": 1e-06}}""", "bad-one", "field \"input_cost_per_token\" must be >= 0 (got -1e-06)")]
    [InlineData("""{"bad-one": {"input_cost_per_token": true, "output_cost_per_token": 1e-06}}""", "bad-one", "must be a number of USD per token (got true)")]
    [InlineData("""{"bad-one": {"input_cost_per_token": "cheap", "output_cost_per_token": 1e-06}}""", "bad-one", "(got cheap)")]
    [InlineData("""{"bad-one": {"input_cost_per_token": 1e+20, "output_cost_per_token": 1e-06}}""", "bad-one", "too large")]
    [InlineData("""{"bad-one": 0.5}""", "bad-one", "expected an object, got number")]
    public void A_bad_entry_throws_naming_the_file_the_entry_and_the_field(string json, string entry, string problem)
    {
        var e = Assert.Throws<PriceFileException>(() => PriceFileReader.Read(json, "/etc/analytics/prices.json"));
        Assert.Equal("/etc/analytics/prices.json", e.SourceName);
        Assert.Equal(entry, e.Entry);
        Assert.StartsWith($"Price file '/etc/analytics/prices.json', entry \"{entry}\": ", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Theory]
    [InlineData("{\"gpt-4o\": {", "not valid JSON")]
    [InlineData("[1, 2]", "expected a JSON object at the top level, got array")]
    [InlineData("""{"format": "analytics-prices/2", "models": {}}""", "\"format\" must be \"analytics-prices/1\"")]
    [InlineData("""{"format": "analytics-prices/1"}""", "no \"models\" object")]
    [InlineData("""{"format": "analytics-prices/1", "effective_date": "01/12/2025", "models": {}}""", "\"effective_date\" must be a date")]
    public void A_bad_file_throws_naming_the_file(string json, string problem)
    {
        var e = Assert.Throws<PriceFileException>(() => PriceFileReader.Read(json, "prices.json"));
        Assert.Null(e.Entry);
        Assert.StartsWith("Price file 'prices.json': ", e.Message);
        Assert.Contains(problem, e.Message);
    }
}
