using System.Numerics;
using Analytics.Contracts;

namespace Analytics.Tests.Stats;

/// <summary>The row arithmetic the pump runs four times per event: exact, saturating, the same on every lane.</summary>
public sealed class UsageCountersSpecs
{
    private static readonly long[] Edges = [0, 1, -1, 2, long.MaxValue, long.MaxValue - 1, long.MinValue, long.MinValue + 1, 1L << 62, -(1L << 62)];

    private static UsageCounters With(Func<int, long> value)
    {
        var c = default(UsageCounters);
        foreach (var counter in UsageCounters.All) c[counter] = value((int)counter);
        return c;
    }

    private static long Clamp(BigInteger exact) => exact > long.MaxValue ? long.MaxValue : exact < long.MinValue ? long.MinValue : (long)exact;

    [Fact]
    public void Add_is_the_exact_sum_clamped_to_the_long_range_on_every_counter()
    {
        var rng = new Random(13);
        for (var round = 0; round < 20_000; round++)
        {
            // Half the values from the edges of the range, half random, so every lane sees overflow both ways and none.
            long Pick() => rng.Next(2) == 0 ? Edges[rng.Next(Edges.Length)] : rng.NextInt64(long.MinValue, long.MaxValue);
            var a = With(_ => Pick());
            var b = With(_ => Pick());
            var sum = a;
            sum.Add(b);
            foreach (var counter in UsageCounters.All)
                Assert.Equal(Clamp((BigInteger)a[counter] + b[counter]), sum[counter]);
            Assert.Equal(sum, a + b);
        }
    }

    [Fact]
    public void A_huge_count_pins_the_row_at_the_ceiling_instead_of_turning_it_negative()
    {
        var row = With(i => long.MaxValue - i);
        row.Add(With(_ => 1_000));
        Assert.All(UsageCounters.All.ToArray(), c => Assert.Equal(long.MaxValue, row[c]));
    }

    [Fact]
    public void The_counters_of_one_request_equal_adding_that_request_to_an_empty_row()
    {
        var usage = new TokenUsage(1_200, 300, CacheRead: 1_000, CacheCreation: 100, Reasoning: 50);
        var added = default(UsageCounters);
        added.AddCompleted(usage, 4_321, unpriced: true, durationMs: 840, timeToFirstTokenMs: 210);
        Assert.Equal(added, UsageCounters.ForCompleted(usage, 4_321, unpriced: true, durationMs: 840, timeToFirstTokenMs: 210));

        var failed = default(UsageCounters);
        failed.AddFailed(durationMs: 12);
        Assert.Equal(failed, UsageCounters.ForFailed(12));
        Assert.Equal(1, failed[UsageCounter.Failed]);
        Assert.Equal(0, UsageCounters.ForFailed(null)[UsageCounter.DurationSamples]);
        Assert.Equal(0, UsageCounters.ForCompleted(usage, 1, false, null, null)[UsageCounter.UnpricedRequests]);
    }
}
