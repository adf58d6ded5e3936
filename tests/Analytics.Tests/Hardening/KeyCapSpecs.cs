using Analytics.Actors.Aggregation;
using Analytics.Tests.Pump;
using Xunit.Abstractions;

namespace Analytics.Tests.Hardening;

/// <summary>
/// Caller strings become keys, and each key costs memory (issue 9: 200,000 distinct agents): a breakdown holds at most
/// <see cref="AnalyticsOptions.MaxKeysPerBreakdown"/> keys, later new keys are counted under "(other)", and the
/// totals and the sums over every breakdown stay exact.
/// </summary>
public sealed class KeyCapSpecs(ITestOutputHelper output) : PumpHarness(output)
{
    [Fact]
    public async Task New_keys_past_the_cap_are_counted_under_other_and_every_sum_stays_exact()
    {
        var (recorder, pump) = StartPump(options: new AnalyticsOptions { MaxKeysPerBreakdown = 3, DrainBatchSize = 7 });
        for (var i = 0; i < 50; i++)
            Assert.True(recorder.RecordCompleted($"model-{i % 10}", i, 1, new RequestAttribution { AgentId = $"agent-{i}" }));

        var stats = await StatsAsync(pump);

        Assert.Equal(50, stats.Totals.Requests);
        Assert.Equal(4, stats.ByAgent.Count); // three agents and (other)
        Assert.Equal(47, stats.ByAgent[UsageFold.OverflowKey].Requests);
        Assert.Equal(["agent-0", "agent-1", "agent-2"], stats.ByAgent.Keys.Where(k => k != UsageFold.OverflowKey).Order());
        Assert.Equal(4, stats.ByModel.Count);
        Assert.Equal(stats.Totals, Sum(stats.ByAgent.Values));
        Assert.Equal(stats.Totals, Sum(stats.ByModel.Values));
        Assert.Equal(stats.Totals, Sum(stats.ByProvider.Values));
    }

    [Fact]
    public async Task Known_keys_keep_their_rows_after_the_cap_is_reached()
    {
        var (recorder, pump) = StartPump(options: new AnalyticsOptions { MaxKeysPerBreakdown = 2 });
        recorder.RecordCompleted("a-model", 1, 1);
        recorder.RecordCompleted("b-model", 1, 1);
        await StatsAsync(pump);
        recorder.RecordCompleted("c-model", 1, 1); // new: goes to (other)
        recorder.RecordCompleted("a-model", 1, 1); // known: keeps its row

        var stats = await StatsAsync(pump);

        Assert.Equal(2, stats.ByModel["a-model"].Requests);
        Assert.Equal(1, stats.ByModel["b-model"].Requests);
        Assert.Equal(1, stats.ByModel[UsageFold.OverflowKey].Requests);
        Assert.False(stats.ByModel.ContainsKey("c-model"));
    }

    [Fact]
    public async Task Events_past_the_provider_cap_still_name_their_provider_for_the_ledger_sync_and_the_meter()
    {
        var (recorder, pump) = StartPump(options: new AnalyticsOptions { MaxKeysPerBreakdown = 1 });
        using var subscription = recorder.Subscribe(llmEventsOnly: true);
        recorder.RecordCompleted("gpt-4o", 10, 1);                                                       // openai: the one row
        recorder.RecordCompleted("claude-sonnet-4-5", 10, 1);                                            // anthropic, from the catalog
        recorder.RecordCompleted("custom-model", 10, 1, new RequestAttribution { Provider = "Mistral" }); // named by the caller
        recorder.RecordFailed("claude-sonnet-4-5", new RequestAttribution(), new RequestFailure { ErrorCode = "overloaded" });

        var stats = await StatsAsync(pump);
        var providers = new List<string>();
        while (providers.Count < 4 && await subscription.Reader.WaitToReadAsync())
        {
            while (subscription.Reader.TryRead(out var e)) providers.Add(e is LlmRequestCompleted c ? c.Provider : ((LlmRequestFailed)e).Provider);
        }

        Assert.Equal(3, stats.ByProvider[UsageFold.OverflowKey].Requests); // the rows are capped...
        Assert.Equal(["openai", "anthropic", "mistral", "anthropic"], providers); // ...the events are not
    }

    [Fact]
    public async Task A_model_counted_under_other_is_still_priced_by_its_own_name()
    {
        var (recorder, pump) = StartPump(options: new AnalyticsOptions { MaxKeysPerBreakdown = 1 });
        recorder.RecordCompleted("alpha-1", 10, 1);
        recorder.RecordCompleted("beta-1", 1_000, 100); // past the cap: its row is (other), its price is beta-1's

        var stats = await StatsAsync(pump);

        // beta-1: 1000 * 3 + 100 * 15 micros.
        Assert.Equal(4_500, stats.ByModel[UsageFold.OverflowKey].CostMicros);
        Assert.Equal(0, stats.Totals.UnpricedRequests);
        Assert.Equal(stats.Totals, Sum(stats.ByProvider.Values));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1_000_001)]
    public void The_cap_is_validated_naming_the_key(int value)
    {
        var e = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(
            () => AnalyticsOptionsValidator.ThrowIfInvalid(new AnalyticsOptions { MaxKeysPerBreakdown = value }));
        Assert.Contains($"Analytics:MaxKeysPerBreakdown must be between 1 and 1000000 (got {value}).", e.Message);
    }
}
