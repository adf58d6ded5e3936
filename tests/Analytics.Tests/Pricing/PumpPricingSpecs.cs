using Akka.Actor;
using Analytics.Actors;
using Analytics.Actors.Pricing;
using Analytics.Contracts;
using Xunit;
using Xunit.Abstractions;
using static Analytics.Tests.Pricing.PricingTestSupport;

namespace Analytics.Tests.Pricing;

/// <summary>How the pump prices events: catalog resolution, caller-supplied costs, unpriced models and catalog reloads.</summary>
public sealed class PumpPricingSpecs : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    public PumpPricingSpecs(ITestOutputHelper output) : base("akka.loglevel = INFO", output: output)
    {
    }

    private (UsageRecorder Recorder, IActorRef Pump) StartPump(IPriceCatalog catalog)
    {
        var options = new AnalyticsOptions { BufferCapacity = 1_024, IngressShards = 1 };
        var recorder = new UsageRecorder(options.BufferCapacity, options.IngressShards);
        var pump = Sys.ActorOf(IngressPumpActor.CreateProps(recorder, catalog, options));
        return (recorder, pump);
    }

    private static Task<UsageStats> Stats(IActorRef pump) => pump.Ask<UsageStats>(UsageQueries.GetStats.Instance, AskTimeout);

    [Fact]
    public async Task Unpriced_models_cost_nothing_are_counted_per_model_and_warned_once_each()
    {
        var (recorder, pump) = StartPump(PriceTable.Embedded);
        UsageStats stats = null!;

        await EventFilter.Warning(contains: "has no price").ExpectAsync(2, async () =>
        {
            Assert.True(recorder.RecordCompleted("acme-private-llm", new TokenUsage(1_000, 100)));
            Assert.True(recorder.RecordCompleted("acme-private-llm", new TokenUsage(2_000, 200), attribution: new RequestAttribution { AgentId = "agent-1" }));
            Assert.True(recorder.RecordCompleted("acme-private-llm", new TokenUsage(3_000, 300)));
            Assert.True(recorder.RecordCompleted("acme-private-llm", new TokenUsage(10, 10), costMicros: 500)); // caller cost: priced
            Assert.True(recorder.RecordCompleted("acme-other-llm", new TokenUsage(10, 10)));
            Assert.True(recorder.RecordCompleted("gpt-4o-mini", new TokenUsage(Input: 1_234, Output: 77, CacheRead: 1_024)));
            stats = await Stats(pump);
        });

        var acme = stats.ByModel["acme-private-llm"];
        Assert.Equal(4, acme.Requests);
        Assert.Equal(3, acme.UnpricedRequests);
        Assert.Equal(500, acme.CostMicros);
        Assert.Equal(1, stats.ByModel["acme-other-llm"].UnpricedRequests);
        Assert.Equal(0, stats.ByModel["gpt-4o-mini"].UnpricedRequests);
        Assert.Equal(153, stats.ByModel["gpt-4o-mini"].CostMicros);
        Assert.Equal(4, stats.Totals.UnpricedRequests);
        Assert.Equal(4, stats.ByProvider["unknown"].UnpricedRequests);
        Assert.Equal(1, stats.ByAgent["agent-1"].UnpricedRequests);
        Assert.Equal(653, stats.Totals.CostMicros);

        // Known now: no second warning for the same model.
        await EventFilter.Warning(contains: "has no price").ExpectAsync(0, async () =>
        {
            Assert.True(recorder.RecordCompleted("acme-private-llm", new TokenUsage(1, 1)));
            stats = await Stats(pump);
        });
        Assert.Equal(4, stats.ByModel["acme-private-llm"].UnpricedRequests);
    }

    [Fact]
    public async Task The_warning_names_the_model_and_the_setting_to_add_it_to()
    {
        var (recorder, pump) = StartPump(PriceTable.Embedded);
        await EventFilter.Warning(contains: "Model acme-private-llm has no price: its requests cost 0 and count as unpriced_requests. Add it under Analytics:Pricing:Overrides.")
            .ExpectOneAsync(async () =>
            {
                recorder.RecordCompleted("acme-private-llm", new TokenUsage(1, 1));
                await Stats(pump);
            });
    }

    [Fact]
    public async Task Names_resolve_through_the_catalog_for_price_and_provider()
    {
        var (recorder, pump) = StartPump(PriceTable.Embedded);
        recorder.RecordCompleted("azure/gpt-4o-2024-11-20", new TokenUsage(1_000_000, 0));
        recorder.RecordCompleted("bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0", new TokenUsage(0, 1_000_000));
        recorder.RecordCompleted("vertex_ai/gemini-2.5-flash", new TokenUsage(1_000_000, 0));
        recorder.RecordCompleted("mistral/mistral-next-unreleased", new TokenUsage(5, 5));

        var stats = await Stats(pump);

        Assert.Equal(2_500_000, stats.ByModel["azure/gpt-4o-2024-11-20"].CostMicros);
        Assert.Equal(15_000_000, stats.ByModel["bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0"].CostMicros);
        Assert.Equal(300_000, stats.ByModel["vertex_ai/gemini-2.5-flash"].CostMicros);
        Assert.Equal(2_500_000, stats.ByProvider["openai"].CostMicros);
        Assert.Equal(15_000_000, stats.ByProvider["anthropic"].CostMicros);
        Assert.Equal(300_000, stats.ByProvider["google"].CostMicros);
        Assert.Equal(1, stats.ByProvider["mistral"].UnpricedRequests); // unpriced, but its vendor is still inferred
    }

    [Fact]
    public async Task A_caller_supplied_cost_wins_over_the_catalog()
    {
        var (recorder, pump) = StartPump(PriceTable.Embedded);
        recorder.RecordCompletedWithCost("gpt-4o", new TokenUsage(1_000_000, 1_000_000), costMicros: 42);
        recorder.RecordCompletedWithCost("gpt-4o", new TokenUsage(1_000_000, 0), costMicros: 0);

        var stats = await Stats(pump);

        Assert.Equal(42, stats.ByModel["gpt-4o"].CostMicros);
        Assert.Equal(0, stats.ByModel["gpt-4o"].UnpricedRequests);
    }

    [Fact]
    public async Task After_a_catalog_reload_new_events_get_the_new_prices()
    {
        using var dir = new TempFolder();
        var path = dir.File("prices.json");
        File.WriteAllText(path, """{"format": "analytics-prices/1", "models": {"acme-llm": {"input": 1000000, "output": 2000000}}}""");
        using var catalog = new PriceCatalog(new PricingOptions { File = path, ReloadOnChange = false });
        var (recorder, pump) = StartPump(catalog);

        recorder.RecordCompleted("acme-llm", new TokenUsage(1_000, 1_000));
        recorder.RecordCompleted("acme-next", new TokenUsage(1_000, 1_000));
        var before = await Stats(pump);
        Assert.Equal(3_000, before.ByModel["acme-llm"].CostMicros);
        Assert.Equal(1, before.ByModel["acme-next"].UnpricedRequests);

        File.WriteAllText(path, """{"format": "analytics-prices/1", "models": {"acme-llm": {"input": 3000000, "output": 4000000}, "acme-next": {"input": 500000, "output": 500000}}}""");
        Assert.True(catalog.Reload());
        recorder.RecordCompleted("acme-llm", new TokenUsage(1_000, 1_000));
        recorder.RecordCompleted("acme-next", new TokenUsage(1_000, 1_000));
        var after = await Stats(pump);

        Assert.Equal(3_000 + 7_000, after.ByModel["acme-llm"].CostMicros); // memoised old price forgotten
        Assert.Equal(1_000, after.ByModel["acme-next"].CostMicros);
        Assert.Equal(1, after.ByModel["acme-next"].UnpricedRequests); // the earlier event stays as it was
    }
}
