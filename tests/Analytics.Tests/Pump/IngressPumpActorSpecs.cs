using Analytics.Actors;
using Analytics.Actors.Pricing;
using Analytics.Contracts;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace Analytics.Tests.Pump;

public sealed class IngressPumpActorSpecs(ITestOutputHelper output) : PumpHarness(output)
{
    [Fact]
    public async Task Completed_and_failed_requests_fold_per_model_provider_and_agent()
    {
        var (recorder, pump) = StartPump();
        Assert.True(recorder.RecordCompleted("alpha-1", 1_000, 500, attribution: new RequestAttribution { AgentId = "agent-a" }));
        Assert.True(recorder.RecordCompleted("alpha-1", 2_000, 100));
        Assert.True(recorder.RecordCompleted("beta-1", new TokenUsage(4_000, 1_000, CacheRead: 1_000, CacheCreation: 2_000), attribution: new RequestAttribution { AgentId = "agent-b" }));
        Assert.True(recorder.RecordFailed("beta-1", attribution: new RequestAttribution { AgentId = "agent-a" }, failure: new RequestFailure { ErrorCode = "rate_limit" }));

        var stats = await StatsAsync(pump);

        // alpha-1: (1000*2 + 500*8) + (2000*2 + 100*8) = 6000 + 4800 micros.
        var alpha = stats.ByModel["alpha-1"];
        Assert.Equal(2, alpha.Requests);
        Assert.Equal(0, alpha.Failed);
        Assert.Equal(3_000, alpha.InputTokens);
        Assert.Equal(600, alpha.OutputTokens);
        Assert.Equal(10_800, alpha.CostMicros);

        // beta-1: uncached 1000*3 + cache read 1000*0.3 + cache write 2000*3.75 + output 1000*15 = 3000 + 300 + 7500 + 15000.
        var beta = stats.ByModel["beta-1"];
        Assert.Equal(2, beta.Requests);
        Assert.Equal(1, beta.Failed);
        Assert.Equal(1_000, beta.CacheReadInputTokens);
        Assert.Equal(2_000, beta.CacheCreationInputTokens);
        Assert.Equal(25_800, beta.CostMicros);

        Assert.Equal(2, stats.ByProvider["openai"].Requests);
        Assert.Equal(2, stats.ByProvider["anthropic"].Requests);
        Assert.Equal(2, stats.ByAgent["agent-a"].Requests);
        Assert.Equal(1, stats.ByAgent["agent-a"].Failed);
        Assert.Equal(6_000, stats.ByAgent["agent-a"].CostMicros);
        Assert.Equal(1, stats.ByAgent["agent-b"].Requests);
        Assert.Equal(2, stats.ByAgent.Count); // the request without an agent is in no agent row

        Assert.Equal(4, stats.Totals.Requests);
        Assert.Equal(1, stats.Totals.Failed);
        Assert.Equal(36_600, stats.Totals.CostMicros);
        Assert.Equal(0.75, stats.Totals.SuccessRate);
        Assert.Equal(0.0366m, stats.Totals.CostUsd);
        Assert.Equal(9_150, stats.Totals.AverageCostMicrosPerRequest);
    }

    [Fact]
    public async Task Failed_requests_count_in_their_models_request_count_so_rows_add_up()
    {
        var (recorder, pump) = StartPump();
        recorder.RecordFailed("alpha-1");
        recorder.RecordFailed("alpha-1");
        recorder.RecordCompleted("alpha-1", 10, 10);

        var stats = await StatsAsync(pump);

        Assert.Equal(3, stats.ByModel["alpha-1"].Requests);
        Assert.Equal(2, stats.ByModel["alpha-1"].Failed);
        Assert.Equal(stats.Totals.Requests, Sum(stats.ByModel.Values).Requests);
        Assert.Equal(1.0 / 3, stats.Totals.SuccessRate, 9);
    }

    [Fact]
    public async Task Reasoning_tokens_use_the_reasoning_price_and_the_rest_of_output_the_output_price()
    {
        var (recorder, pump) = StartPump();
        recorder.RecordCompleted("gamma-1", new TokenUsage(1_000, 3_000, Reasoning: 2_000));

        var stats = await StatsAsync(pump);

        // 1000 * 1.25 + 1000 * 10 + 2000 * 12 = 1250 + 10000 + 24000
        Assert.Equal(35_250, stats.ByModel["gamma-1"].CostMicros);
        Assert.Equal(2_000, stats.ByModel["gamma-1"].ReasoningTokens);
        Assert.Equal(35_250, stats.ByProvider["google"].CostMicros);
    }

    [Fact]
    public async Task An_unknown_model_costs_zero_is_counted_unpriced_and_its_provider_is_inferred_or_unknown()
    {
        var (recorder, pump) = StartPump();
        recorder.RecordCompleted("my-private-model", 100, 100);
        recorder.RecordCompleted("my-private-model", 100, 100);
        recorder.RecordCompleted("llama-3.1-8b", 100, 100);

        var stats = await StatsAsync(pump);

        Assert.Equal(0, stats.ByModel["my-private-model"].CostMicros);
        Assert.Equal(2, stats.ByModel["my-private-model"].UnpricedRequests);
        Assert.Equal(2, stats.ByProvider[ProviderInference.Unknown].Requests);
        Assert.Equal(1, stats.ByProvider["meta"].UnpricedRequests);
        Assert.Equal(3, stats.Totals.UnpricedRequests);
    }

    [Fact]
    public async Task A_caller_supplied_cost_wins_over_the_catalog_and_is_not_unpriced()
    {
        var (recorder, pump) = StartPump();
        recorder.RecordCompletedWithCost("alpha-1", new TokenUsage(1_000_000, 0), costMicros: 42);
        recorder.RecordCompletedWithCost("nobody-prices-this", new TokenUsage(10, 10), costMicros: 7);

        var stats = await StatsAsync(pump);

        Assert.Equal(42, stats.ByModel["alpha-1"].CostMicros);
        Assert.Equal(7, stats.ByModel["nobody-prices-this"].CostMicros);
        Assert.Equal(0, stats.Totals.UnpricedRequests);
    }

    [Fact]
    public async Task An_explicit_provider_skips_inference_and_is_lowercased()
    {
        var (recorder, pump) = StartPump();
        recorder.RecordCompletedWithProvider("Azure-OpenAI", "alpha-1", new TokenUsage(10, 10));
        recorder.RecordFailed("beta-1", attribution: new RequestAttribution { Provider = " Bedrock " });

        var stats = await StatsAsync(pump);

        Assert.Equal(1, stats.ByProvider["azure-openai"].Requests);
        Assert.Equal(1, stats.ByProvider["bedrock"].Failed);
        Assert.False(stats.ByProvider.ContainsKey("openai"));
    }

    [Fact]
    public async Task The_embedded_catalog_prices_gpt_4o_from_list_prices()
    {
        var (recorder, pump) = StartPump(catalog: PriceTable.Embedded);
        recorder.RecordCompleted("gpt-4o", 1_000, 500);

        var stats = await StatsAsync(pump);

        // $2.50 / M input and $10 / M output: 2,500 + 5,000 micros.
        Assert.Equal(7_500, stats.ByModel["gpt-4o"].CostMicros);
        Assert.Equal(1, stats.ByProvider["openai"].Requests);
    }

    [Fact]
    public async Task After_an_ask_nothing_is_pending_and_the_published_totals_match()
    {
        var (recorder, pump) = StartPump();
        for (var i = 0; i < 1_000; i++) recorder.RecordCompleted(i % 2 == 0 ? "alpha-1" : "beta-1", i, 1);

        var stats = await StatsAsync(pump);

        Assert.Equal(1_000, stats.Ingress.Accepted);
        Assert.Equal(1_000, stats.Ingress.Folded);
        Assert.Equal(0, stats.Ingress.Pending);
        Assert.Equal(0, recorder.PendingCount);
        Assert.Equal(stats.Totals, recorder.FoldedTotals);
        Assert.Equal(1_000, recorder.FoldedCount);
    }

    [Fact]
    public async Task Stats_are_immutable_snapshots_that_later_events_do_not_change()
    {
        var (recorder, pump) = StartPump();
        recorder.RecordCompleted("alpha-1", 1, 1);
        var first = await StatsAsync(pump);
        recorder.RecordCompleted("alpha-1", 1, 1);
        recorder.RecordCompleted("beta-1", 1, 1);
        var second = await StatsAsync(pump);

        Assert.Equal(1, first.ByModel["alpha-1"].Requests);
        Assert.False(first.ByModel.ContainsKey("beta-1"));
        Assert.Equal(2, second.ByModel["alpha-1"].Requests);
    }

    [Fact]
    public async Task Router_stopped_captures_the_totals_of_every_event_recorded_before_it()
    {
        var (recorder, pump) = StartPump();
        using var subscription = recorder.Subscribe(capacity: 100);
        recorder.RecordRouterStarted(8080);
        recorder.RecordCompleted("alpha-1", 1_000, 0); // 2,000 micros
        recorder.RecordFailed("alpha-1");
        recorder.RecordBudgetThreshold(80, 800_000, 1_000_000, agentId: "agent-a");
        recorder.RecordRouterStopped();

        var stats = await StatsAsync(pump);
        var events = new List<AnalyticsEvent>();
        while (subscription.Reader.TryRead(out var e)) events.Add(e);

        Assert.Equal(new LifecycleCounters(1, 1, 1), stats.Lifecycle);
        Assert.Equal(5, events.Count);
        var started = Assert.IsType<RouterStarted>(events[0]);
        Assert.Equal(8080, started.Port);
        var stopped = Assert.IsType<RouterStopped>(events[^1]);
        Assert.Equal(2, stopped.TotalRequests);
        Assert.Equal(2_000, stopped.TotalCostMicros);
        var budget = Assert.IsType<BudgetThresholdReached>(events[3]);
        Assert.Equal(80, budget.ThresholdPercent);
        Assert.Equal("agent-a", budget.AgentId);
    }

    [Fact]
    public async Task Router_stopped_includes_events_other_threads_recorded_before_it()
    {
        var (recorder, pump) = StartPump(shards: 4);
        using var subscription = recorder.Subscribe(capacity: 10_000, llmEventsOnly: false);
        var threads = new Thread[4];
        for (var t = 0; t < threads.Length; t++)
        {
            threads[t] = new Thread(() =>
            {
                for (var i = 0; i < 500; i++) recorder.RecordCompleted("alpha-1", 1_000, 0);
            });
            threads[t].Start();
        }
        foreach (var t in threads) t.Join();
        recorder.RecordRouterStopped();

        await StatsAsync(pump);
        RouterStopped? stopped = null;
        while (subscription.Reader.TryRead(out var e)) stopped = e as RouterStopped ?? stopped;

        Assert.NotNull(stopped);
        Assert.Equal(2_000, stopped.TotalRequests);
        Assert.Equal(2_000 * 2_000, stopped.TotalCostMicros);
    }

    [Fact]
    public async Task Subscriptions_get_events_with_ids_and_timestamps_assigned_once_and_supplied_ones_kept()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123));
        var (recorder, pump) = StartPump(time: time);
        using var subscription = recorder.Subscribe();
        recorder.RecordCompleted("alpha-1", 10, 10, attribution: new RequestAttribution { AgentId = "a", ProviderId = "ip_openai-001" });
        recorder.TryRecordCompleted("alpha-1", new TokenUsage(1, 1), identity: new EventIdentity { EventId = "evt-42", TimestampMs = 1_600_000_000_000 });
        recorder.RecordFailed("beta-1", failure: new RequestFailure { ErrorCode = "timeout", ErrorMessage = "took too long" });

        await StatsAsync(pump);
        var events = new List<AnalyticsEvent>();
        while (subscription.Reader.TryRead(out var e)) events.Add(e);

        Assert.Equal(3, events.Count);
        var first = Assert.IsType<LlmRequestCompleted>(events[0]);
        Assert.True(Guid.TryParse(first.EventId, out var id) && id.Version == 7, $"expected a UUID v7, got {first.EventId}");
        // Time-ordered: its first 48 bits are the injected clock's Unix milliseconds.
        Assert.Equal(1_700_000_000_123, Convert.ToInt64(first.EventId![..8] + first.EventId[9..13], 16));
        Assert.Equal(1_700_000_000_123, first.TimestampMs);
        Assert.Equal("openai", first.Provider);
        Assert.Equal("ip_openai-001", first.ProviderId);
        Assert.Equal(100, first.CostMicros); // 10 input at $2/M + 10 output at $8/M = 20 + 80 micros
        Assert.Equal("evt-42", events[1].EventId);
        Assert.Equal(1_600_000_000_000, events[1].TimestampMs);
        var failed = Assert.IsType<LlmRequestFailed>(events[2]);
        Assert.Equal("timeout", failed.ErrorCode);
        Assert.Equal("took too long", failed.ErrorMessage);
        Assert.Equal("anthropic", failed.Provider);
        Assert.NotEqual(first.EventId, failed.EventId);
    }

    [Fact]
    public async Task A_full_subscription_loses_copies_counted_and_slows_nothing()
    {
        var (recorder, pump) = StartPump();
        using var subscription = recorder.Subscribe(capacity: 5);
        for (var i = 0; i < 50; i++) Assert.True(recorder.RecordCompleted("alpha-1", 1, 1));

        var stats = await StatsAsync(pump);

        Assert.Equal(50, stats.Totals.Requests);
        Assert.Equal(5, subscription.Delivered);
        Assert.Equal(45, subscription.Dropped);
        Assert.Equal(45, stats.Ingress.SubscriberDropped);
    }

    [Fact]
    public async Task Pre_built_events_are_taken_as_given_and_keep_their_ids()
    {
        var (recorder, pump) = StartPump();
        using var subscription = recorder.Subscribe();
        Assert.True(recorder.Record(new LlmRequestCompleted
        {
            EventId = "pre-1", TimestampMs = 1_234, AgentId = "a", Model = "alpha-1", Provider = "OpenAI",
            InputTokens = 1_000_000, OutputTokens = 0, CostMicros = 5, Unpriced = false,
        }));
        Assert.True(recorder.Record(new LlmRequestCompleted { Model = "private-x", Provider = "acme", CostMicros = 0, Unpriced = true }));
        Assert.True(recorder.TryRecord(new LlmRequestFailed { Model = "beta-1", Provider = "anthropic", ErrorCode = "e" }));

        var stats = await StatsAsync(pump);

        Assert.Equal(5, stats.ByModel["alpha-1"].CostMicros); // the event's cost, not the catalog's 2,000,000
        Assert.Equal(1, stats.ByProvider["openai"].Requests);
        Assert.Equal(1, stats.ByModel["private-x"].UnpricedRequests);
        Assert.Equal(1, stats.ByModel["beta-1"].Failed);
        Assert.True(subscription.Reader.TryRead(out var first));
        Assert.Equal("pre-1", first.EventId);
        Assert.Equal(1_234, first.TimestampMs);
    }

    [Fact]
    public async Task A_catalog_that_throws_leaves_the_model_unpriced_and_the_running_totals_intact()
    {
        var (recorder, pump) = StartPump(catalog: new ThrowingCatalog());
        recorder.RecordCompleted("alpha-1", 10, 10);
        recorder.RecordCompletedWithCost("explode", new TokenUsage(1, 1), costMicros: 9);
        recorder.RecordCompleted("explode", 1, 1);

        var stats = await StatsAsync(pump);

        Assert.Equal(3, stats.Totals.Requests);
        Assert.Equal(9, stats.Totals.CostMicros);
        Assert.Equal(2, stats.Totals.UnpricedRequests);
    }

    private sealed class ThrowingCatalog : IPriceCatalog
    {
        public long Version => 0;

        public bool TryGetPrice(string model, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ModelPrice? price)
            => throw new InvalidOperationException("catalog backend is down");
    }
}
