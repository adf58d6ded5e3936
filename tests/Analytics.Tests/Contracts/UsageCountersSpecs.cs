namespace Analytics.Tests.Contracts;

/// <summary>The one list of counters: names derived from it, addition that cannot wrap, rows built on it.</summary>
public sealed class UsageCountersSpecs
{
    [Fact]
    public void Every_counter_has_its_snake_case_name_in_declaration_order()
    {
        string[] expected =
        [
            "requests", "failed", "input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens",
            "reasoning_tokens", "cost_micros", "unpriced_requests", "duration_ms_sum", "duration_samples",
            "time_to_first_token_ms_sum", "time_to_first_token_samples",
        ];
        var names = new List<string>();
        foreach (var counter in UsageCounters.All) names.Add(UsageCounters.Name(counter));
        Assert.Equal(expected, names);
        Assert.Equal(UsageCounters.Count, Enum.GetValues<UsageCounter>().Length);
    }

    [Fact]
    public void A_completed_request_fills_the_token_cost_and_timing_counters()
    {
        var c = UsageCounters.ForCompleted(new TokenUsage(100, 40, CacheRead: 30, CacheCreation: 20, Reasoning: 10), 777, unpriced: true, 250, null);

        Assert.Equal(1, c[UsageCounter.Requests]);
        Assert.Equal(0, c[UsageCounter.Failed]);
        Assert.Equal(100, c[UsageCounter.InputTokens]);
        Assert.Equal(40, c[UsageCounter.OutputTokens]);
        Assert.Equal(30, c[UsageCounter.CacheReadInputTokens]);
        Assert.Equal(20, c[UsageCounter.CacheCreationInputTokens]);
        Assert.Equal(10, c[UsageCounter.ReasoningTokens]);
        Assert.Equal(777, c[UsageCounter.CostMicros]);
        Assert.Equal(1, c[UsageCounter.UnpricedRequests]);
        Assert.Equal(250, c[UsageCounter.DurationMsSum]);
        Assert.Equal(1, c[UsageCounter.DurationSamples]);
        Assert.Equal(0, c[UsageCounter.TimeToFirstTokenSamples]);

        var failed = UsageCounters.ForFailed(null);
        Assert.Equal(1, failed[UsageCounter.Requests]);
        Assert.Equal(1, failed[UsageCounter.Failed]);
        Assert.Equal(0, failed[UsageCounter.DurationSamples]);
    }

    [Fact]
    public void Addition_saturates_at_the_ceiling_instead_of_wrapping_negative()
    {
        var big = UsageCounters.ForCompleted(new TokenUsage(long.MaxValue, 1), long.MaxValue - 5, false, null, null);
        var small = UsageCounters.ForCompleted(new TokenUsage(2, 3), 10, false, null, null);

        var sum = big + small;

        Assert.Equal(long.MaxValue, sum[UsageCounter.InputTokens]);
        Assert.Equal(long.MaxValue, sum[UsageCounter.CostMicros]);
        Assert.Equal(4, sum[UsageCounter.OutputTokens]);
        Assert.Equal(2, sum[UsageCounter.Requests]);
        var row = new UsageRow(sum);
        Assert.Equal(long.MaxValue, row.TotalTokens);
        Assert.True(row.AverageCostMicrosPerRequest > 0);
    }

    [Fact]
    public void Rows_add_counter_by_counter_and_compare_by_value()
    {
        var a = new UsageRow(UsageCounters.ForCompleted(new TokenUsage(10, 5), 100, false, 30, 7));
        var b = new UsageRow(UsageCounters.ForFailed(12));

        var sum = a.Add(b);

        foreach (var counter in UsageCounters.All) Assert.Equal(a[counter] + b[counter], sum[counter]);
        Assert.Equal(sum, b.Add(a));
        Assert.NotEqual(a, sum);
        Assert.Equal(21.0, sum.AverageDurationMs);
        Assert.Equal(0.5, sum.SuccessRate);
        Assert.True(UsageRow.Empty.Counters.IsZero);
        Assert.False(sum.Counters.IsZero);
    }
}
