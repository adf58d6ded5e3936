using Analytics.Actors.Pricing;
using Analytics.Host;
using Analytics.Host.Replay;
using Analytics.Tests.Pricing;

namespace Analytics.Tests.Hardening;

/// <summary>
/// Price files and prices at the extremes (issue 9, items 5 and 7): a file that never ends or is far too large is a
/// clear error at start and never replaces good prices on reload; the largest prices never turn a cost negative.
/// </summary>
public sealed class PricingHardeningSpecs : IDisposable
{
    private readonly PricingTestSupport.TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_price_file_that_never_ends_is_a_one_line_start_error_with_exit_code_2()
    {
        var log = _dir.File("u.jsonl");
        await File.WriteAllTextAsync(log, """{"event_type":"llm_request_failed","model":"m"}""" + "\n");
        var command = CommandLine.Parse(["replay", log, "--Analytics:Pricing:File=/dev/zero"], out _)!;
        var stderr = new StringWriter();

        var code = await ReplayCommand.RunAsync(command, new StringWriter(), stderr);

        Assert.Equal(ExitCodes.BadArguments, code);
        var line = Assert.Single(stderr.ToString().Trim().Split('\n'));
        Assert.Contains($"Price file '/dev/zero': holds more than the {PriceFileReader.MaxFileBytes} bytes a price file may have", line);
    }

    [Fact]
    public void A_price_file_over_the_cap_is_refused_by_its_length_before_it_is_read()
    {
        var path = _dir.File("huge.json");
        using (var f = File.Create(path)) f.SetLength(PriceFileReader.MaxFileBytes + 1L); // sparse: no disk used

        var e = Assert.Throws<PriceFileException>(() => new PriceCatalog(new PricingOptions { File = path, ReloadOnChange = false }));
        Assert.Contains($"is {PriceFileReader.MaxFileBytes + 1L} bytes, more than the {PriceFileReader.MaxFileBytes} bytes", e.Message);
    }

    [Fact]
    public void A_reload_of_a_file_grown_past_the_cap_keeps_the_prices_in_force()
    {
        var path = _dir.File("prices.json");
        File.Copy(PricingTestSupport.LiteLlmPrices, path);
        using var catalog = new PriceCatalog(new PricingOptions { File = path, ReloadOnChange = false });
        var before = catalog.Current;
        using (var f = File.OpenWrite(path)) f.SetLength(PriceFileReader.MaxFileBytes + 10L);

        Assert.False(catalog.Reload());

        Assert.Same(before, catalog.Current);
        Assert.Contains("more than the", catalog.LastError);
    }

    [Fact]
    public void The_largest_prices_and_counts_saturate_the_cost_at_the_ceiling()
    {
        var max = new ModelPrice
        {
            Provider = "openai",
            InputMicrosPerMillion = long.MaxValue,
            OutputMicrosPerMillion = long.MaxValue,
            CacheReadMicrosPerMillion = long.MaxValue,
            CacheCreationMicrosPerMillion = long.MaxValue,
            ReasoningMicrosPerMillion = long.MaxValue,
        };

        Assert.Equal(long.MaxValue, CostCalculator.Compute(max, new TokenUsage(long.MaxValue, long.MaxValue, long.MaxValue / 2, long.MaxValue / 2, long.MaxValue)));
        // Just below a whole micro: exact, not rounded up, and not wrapped.
        Assert.Equal(long.MaxValue / 1_000_000, CostCalculator.Compute(max, new TokenUsage(1, 0)));
        Assert.Equal(0, CostCalculator.Compute(PricingTestSupport.Price(999_999, 0), new TokenUsage(1, 0)));
    }
}
