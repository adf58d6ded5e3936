using System.Globalization;
using System.Text.Json;
using Analytics.Host;
using Analytics.Host.Replay;
using Analytics.Tests.Store;
using Xunit;
using static Analytics.Tests.Pricing.PricingTestSupport;

namespace Analytics.Tests.Pricing;

/// <summary>The replay command end to end: unpriced requests in the report, overrides, and price files that stop the start.</summary>
public sealed class PricingReplaySpecs
{
    private static async Task<(int Code, string Stdout, string Stderr)> Replay(string log, Dictionary<string, string?> settings, string format = "json")
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await ReplayCommand.RunAsync(new CommandLine { Command = "replay", LogPath = log, Format = format }, stdout, stderr, StoreTestSupport.WithoutStore(settings));
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string UsageLog(TempFolder dir)
    {
        var path = dir.File("usage.jsonl");
        File.WriteAllLines(path,
        [
            """{"event_type":"llm_request_completed","model":"gpt-4o-mini","input_tokens":1234,"output_tokens":77,"cache_read_input_tokens":1024}""",
            """{"event_type":"llm_request_completed","model":"acme-private-llm","input_tokens":5000,"output_tokens":500}""",
            """{"event_type":"llm_request_completed","model":"acme-private-llm","input_tokens":7000,"output_tokens":700,"agent_id":"agent-7"}""",
            """{"event_type":"llm_request_completed","model":"acme-priced","input_tokens":1000,"output_tokens":500}""",
            """{"event_type":"llm_request_completed","model":"bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0","input_tokens":2000,"output_tokens":100,"cache_read_input_tokens":1000}""",
        ]);
        return path;
    }

    [Fact]
    public async Task The_report_shows_unpriced_requests_per_model_and_in_total()
    {
        using var dir = new TempFolder();
        var (code, stdout, stderr) = await Replay(UsageLog(dir), new()
        {
            ["Analytics:Pricing:Overrides:acme-priced:Input"] = "1000000",
            ["Analytics:Pricing:Overrides:acme-priced:Output"] = "2000000",
        });

        Assert.True(code == 0, stderr);
        using var report = JsonDocument.Parse(stdout);
        var byModel = report.RootElement.GetProperty("by_model");
        Assert.Equal(2, byModel.GetProperty("acme-private-llm").GetProperty("unpriced_requests").GetInt64());
        Assert.Equal(0, byModel.GetProperty("acme-private-llm").GetProperty("cost_micros").GetInt64());
        Assert.Equal(0, byModel.GetProperty("acme-priced").GetProperty("unpriced_requests").GetInt64());
        Assert.Equal(2_000, byModel.GetProperty("acme-priced").GetProperty("cost_micros").GetInt64()); // 1,000 x $1 + 500 x $2
        Assert.Equal(153, byModel.GetProperty("gpt-4o-mini").GetProperty("cost_micros").GetInt64());
        // claude-3-5-sonnet-20240620: 1,000 uncached x $3 + 1,000 cached x $0.30 + 100 x $15
        Assert.Equal(4_800, byModel.GetProperty("bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0").GetProperty("cost_micros").GetInt64());
        var totals = report.RootElement.GetProperty("totals");
        Assert.Equal(2, totals.GetProperty("unpriced_requests").GetInt64());
        Assert.Equal(153 + 2_000 + 4_800, totals.GetProperty("cost_micros").GetInt64());
        Assert.Equal(2, report.RootElement.GetProperty("by_provider").GetProperty("unknown").GetProperty("unpriced_requests").GetInt64());
        Assert.Equal(1, report.RootElement.GetProperty("by_agent").GetProperty("agent-7").GetProperty("unpriced_requests").GetInt64());
    }

    [Fact]
    public async Task The_table_report_shows_the_unpriced_count()
    {
        using var dir = new TempFolder();
        var (code, stdout, stderr) = await Replay(UsageLog(dir), [], format: "table");

        Assert.True(code == 0, stderr);
        Assert.Contains("3 unpriced", stdout); // acme-private-llm twice, acme-priced without its override
        Assert.Matches(@"acme-private-llm\s+2\s+0\s+12,000\s+1,200\s+0\s+0\s+0\s+0\.000000\s+2", stdout);
    }

    [Fact]
    public async Task A_bad_price_file_stops_the_replay_with_exit_code_2_naming_the_file_and_the_entry()
    {
        using var dir = new TempFolder();
        var prices = dir.File("model_prices_and_context_window.json");
        File.WriteAllText(prices, """{"gpt-4o": {"input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05}, "broken-model": {"input_cost_per_token": -1, "output_cost_per_token": 1e-05}}""");

        var (code, stdout, stderr) = await Replay(UsageLog(dir), new() { ["Analytics:Pricing:File"] = prices });

        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal("", stdout);
        Assert.Contains($"Price file '{prices}', entry \"broken-model\": field \"input_cost_per_token\" must be >= 0 (got -1)", stderr);
    }

    [Fact]
    public async Task A_missing_price_file_stops_the_replay_with_exit_code_2_naming_the_key()
    {
        using var dir = new TempFolder();
        var prices = dir.File("nowhere.json");

        var (code, _, stderr) = await Replay(UsageLog(dir), new() { ["Analytics:Pricing:File"] = prices });

        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Contains($"Analytics:Pricing:File must name an existing file: the price file '{prices}' does not exist.", stderr);
    }

    [Fact]
    public async Task A_LiteLLM_price_file_prices_the_replay()
    {
        using var dir = new TempFolder();
        var (code, stdout, stderr) = await Replay(UsageLog(dir), new() { ["Analytics:Pricing:File"] = LiteLlmPrices });

        Assert.True(code == 0, stderr);
        using var report = JsonDocument.Parse(stdout);
        Assert.Equal(153, report.RootElement.GetProperty("by_model").GetProperty("gpt-4o-mini").GetProperty("cost_micros").GetInt64());
        Assert.Equal(3, report.RootElement.GetProperty("totals").GetProperty("unpriced_requests").GetInt64());
    }

    [Fact]
    public async Task LiteLLM_price_file_bills_what_LiteLLM_bills()
    {
        // One request per priced entry of the fixture, with every kind of token its entry has a price for. The expected
        // bill is LiteLLM's: tokens x USD per token as written in the file, in decimal arithmetic, each of the five
        // components floored to whole micros (the library's documented rounding, at most 4 micros below LiteLLM).
        using var dir = new TempFolder();
        using var prices = JsonDocument.Parse(File.ReadAllText(LiteLlmPrices));
        var expected = new Dictionary<string, long>(StringComparer.Ordinal);
        var lines = new List<string>();
        foreach (var entry in prices.RootElement.EnumerateObject())
        {
            var e = entry.Value;
            if (entry.Name == "sample_spec" || Usd(e, "input_cost_per_token") is not { } input || Usd(e, "output_cost_per_token") is not { } output) continue;
            var cacheRead = Usd(e, "cache_read_input_token_cost");
            var cacheWrite = Usd(e, "cache_creation_input_token_cost");
            var reasoning = Usd(e, "output_cost_per_reasoning_token") ?? output;

            var n = lines.Count + 1;
            long inputTokens = 10_000 + 1_237 * n, outputTokens = 700 + 311 * n, reasoningTokens = outputTokens / 3;
            // Cache tokens only where the entry prices them: LiteLLM's charge for cache tokens of a model without a cache
            // price is not a published fact to compare with.
            long cacheReadTokens = cacheRead is null ? 0 : inputTokens / 4 + 3;
            long cacheWriteTokens = cacheWrite is null ? 0 : inputTokens / 8 + 1;
            expected[entry.Name] =
                Micros(inputTokens - cacheReadTokens - cacheWriteTokens, input)
                + Micros(cacheReadTokens, cacheRead ?? 0m)
                + Micros(cacheWriteTokens, cacheWrite ?? 0m)
                + Micros(outputTokens - reasoningTokens, output)
                + Micros(reasoningTokens, reasoning);
            lines.Add($$"""{"event_type":"llm_request_completed","model":{{JsonSerializer.Serialize(entry.Name)}},"input_tokens":{{inputTokens}},"output_tokens":{{outputTokens}},"cache_read_input_tokens":{{cacheReadTokens}},"cache_creation_input_tokens":{{cacheWriteTokens}},"reasoning_tokens":{{reasoningTokens}}}""");
        }
        var log = dir.File("every-priced-model.jsonl");
        File.WriteAllLines(log, lines);

        var (code, stdout, stderr) = await Replay(log, new() { ["Analytics:Pricing:File"] = LiteLlmPrices });

        Assert.True(code == 0, stderr);
        using var report = JsonDocument.Parse(stdout);
        var byModel = report.RootElement.GetProperty("by_model");
        Assert.Equal(expected.Count, byModel.EnumerateObject().Count());
        foreach (var (model, micros) in expected)
        {
            var row = byModel.GetProperty(model);
            Assert.True(micros == row.GetProperty("cost_micros").GetInt64(), $"{model}: LiteLLM bills {micros} micros, the replay {row.GetProperty("cost_micros").GetInt64()}");
            Assert.Equal(0, row.GetProperty("unpriced_requests").GetInt64());
        }
        var totals = report.RootElement.GetProperty("totals");
        Assert.Equal(expected.Count, totals.GetProperty("requests").GetInt64());
        Assert.Equal(expected.Values.Sum(), totals.GetProperty("cost_micros").GetInt64());
        Assert.True(expected.Count >= 40, $"only {expected.Count} priced entries in the fixture");
    }

    private static decimal? Usd(JsonElement entry, string field) =>
        entry.TryGetProperty(field, out var raw) ? decimal.Parse(raw.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture) : null;

    private static long Micros(long tokens, decimal usdPerToken) => (long)decimal.Floor(tokens * usdPerToken * 1_000_000m);
}
