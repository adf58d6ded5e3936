using System.Numerics;
using Analytics.Actors.Pricing;
using Analytics.Contracts;
using Xunit;
using static Analytics.Tests.Pricing.PricingTestSupport;

namespace Analytics.Tests.Pricing;

/// <summary>The cost formula against hand-computed values, and its rounding bound.</summary>
public sealed class CostCalculatorSpecs
{
    private static ModelPrice Embedded(string model)
    {
        Assert.True(PriceTable.Embedded.TryGetPrice(model, out var p), model);
        return p;
    }

    [Fact]
    public void OpenAI_o3_with_cached_prompt_and_reasoning_tokens()
    {
        // OpenAI usage: prompt_tokens 12,345 of which prompt_tokens_details.cached_tokens 6,000;
        // completion_tokens 3,210 of which completion_tokens_details.reasoning_tokens 2,048. Recorded as is.
        var usage = new TokenUsage(Input: 12_345, Output: 3_210, CacheRead: 6_000, Reasoning: 2_048);
        // o3: $2 input, $0.50 cached input, $8 output (reasoning billed as output).
        //   uncached 6,345 x 2.00 = 12,690 | cached 6,000 x 0.50 = 3,000 | output 1,162 x 8 = 9,296 | reasoning 2,048 x 8 = 16,384
        Assert.Equal(41_370, CostCalculator.Compute(Embedded("o3"), usage));
    }

    [Fact]
    public void OpenAI_gpt_4o_mini_floors_each_component()
    {
        // $0.15 input, $0.075 cached, $0.60 output.
        //   uncached 210 x 0.15 = 31.5 -> 31 | cached 1,024 x 0.075 = 76.8 -> 76 | output 77 x 0.60 = 46.2 -> 46
        var usage = new TokenUsage(Input: 1_234, Output: 77, CacheRead: 1_024);
        Assert.Equal(153, CostCalculator.Compute(Embedded("gpt-4o-mini"), usage)); // exact sum 154.5
    }

    [Fact]
    public void Anthropic_claude_sonnet_4_5_with_cache_reads_and_writes()
    {
        // Anthropic usage: input_tokens 1,500 (uncached only), cache_read_input_tokens 20,000,
        // cache_creation_input_tokens 3,000, output_tokens 800. Input is recorded as the sum of the three.
        var usage = new TokenUsage(Input: 1_500 + 20_000 + 3_000, Output: 800, CacheRead: 20_000, CacheCreation: 3_000);
        // $3 input, $0.30 cache read, $3.75 cache write, $15 output.
        //   uncached 1,500 x 3 = 4,500 | read 20,000 x 0.30 = 6,000 | write 3,000 x 3.75 = 11,250 | output 800 x 15 = 12,000
        Assert.Equal(33_750, CostCalculator.Compute(Embedded("claude-sonnet-4-5"), usage));
    }

    [Fact]
    public void Anthropic_thinking_tokens_cost_the_output_price()
    {
        // Claude bills extended thinking as output tokens: declaring part of the output as reasoning changes nothing.
        var price = Embedded("claude-haiku-4-5");
        var plain = CostCalculator.Compute(price, new TokenUsage(Input: 10_000, Output: 2_000, CacheRead: 8_000));
        var thinking = CostCalculator.Compute(price, new TokenUsage(Input: 10_000, Output: 2_000, CacheRead: 8_000, Reasoning: 1_500));
        // 2,000 x 1 + 8,000 x 0.10 + 2,000 x 5 = 2,000 + 800 + 10,000
        Assert.Equal(12_800, plain);
        Assert.Equal(plain, thinking);
    }

    [Fact]
    public void Reasoning_tokens_cost_the_reasoning_price_when_the_model_has_one()
    {
        var price = Price(1_000_000, 4_000_000, reasoning: 3_500_000);
        // 600 plain output x 4 = 2,400; 400 reasoning x 3.5 = 1,400; 100 input x 1 = 100
        Assert.Equal(3_900, CostCalculator.Compute(price, new TokenUsage(Input: 100, Output: 1_000, Reasoning: 400)));
    }

    [Fact]
    public void Cache_tokens_cost_the_input_price_when_the_model_has_no_cache_prices()
    {
        var price = Price(2_000_000, 6_000_000); // e.g. mistral-large: no cache pricing
        var cached = CostCalculator.Compute(price, new TokenUsage(Input: 5_000, Output: 100, CacheRead: 3_000, CacheCreation: 1_000));
        var uncached = CostCalculator.Compute(price, new TokenUsage(Input: 5_000, Output: 100));
        Assert.Equal(10_600, uncached);
        Assert.Equal(uncached, cached);
    }

    [Fact]
    public void The_result_is_the_per_component_floor_and_within_five_micros_below_the_exact_cost()
    {
        var random = new Random(20251201);
        var prices = new List<ModelPrice>(PriceTable.Embedded.Entries.Values) { Price(1, 3, 1, 1, 2), Price(999_999, 1_000_001, 333_333, 1_250_001, 7) };
        for (var i = 0; i < 20_000; i++)
        {
            var p = prices[random.Next(prices.Count)];
            var input = random.NextInt64(0, 2_000_000);
            var read = random.NextInt64(0, input + 1);
            var write = random.NextInt64(0, input - read + 1);
            var output = random.NextInt64(0, 200_000);
            var reasoning = random.NextInt64(0, output + 1);
            var usage = new TokenUsage(input, output, read, write, reasoning);

            // Independent arithmetic: exact numerator over 1e6, and the per-component floors.
            (BigInteger Tokens, long Price)[] parts =
            [
                (input - read - write, p.InputMicrosPerMillion), (read, p.CacheReadMicrosPerMillion ?? p.InputMicrosPerMillion),
                (write, p.CacheCreationMicrosPerMillion ?? p.InputMicrosPerMillion), (output - reasoning, p.OutputMicrosPerMillion),
                (reasoning, p.ReasoningMicrosPerMillion ?? p.OutputMicrosPerMillion),
            ];
            BigInteger exactNumerator = 0, floors = 0;
            foreach (var (tokens, rate) in parts)
            {
                exactNumerator += tokens * rate;
                floors += tokens * rate / 1_000_000;
            }

            var cost = CostCalculator.Compute(p, usage);
            Assert.Equal(floors, (BigInteger)cost);
            Assert.True(cost * (BigInteger)1_000_000 <= exactNumerator);
            Assert.True((cost + 5) * (BigInteger)1_000_000 > exactNumerator);
        }
    }

    [Fact]
    public void Huge_counts_saturate_instead_of_overflowing()
    {
        var price = Price(600_000_000, 600_000_000); // o1-pro's output price
        var cost = CostCalculator.Compute(price, new TokenUsage(long.MaxValue, long.MaxValue));
        Assert.Equal(long.MaxValue, cost);

        // 2^40 tokens x $600/M: needs the 128-bit product, and still fits a long.
        Assert.Equal((1L << 40) * 600, CostCalculator.Compute(price, new TokenUsage(1L << 40, 0)));
    }

    [Fact]
    public void Inconsistent_counts_never_make_a_negative_cost()
    {
        var price = Price(1_000_000, 1_000_000);
        // TokenUsage.Validate rejects cache reads above input and reasoning above output; if they slip through, the
        // negative remainders (uncached input -2,000, plain output -1,000) count 0 rather than as refunds:
        // cache read 3,000 x 1 + reasoning 2,000 x 1.
        Assert.Equal(5_000, CostCalculator.Compute(price, new TokenUsage(Input: 1_000, Output: 1_000, CacheRead: 3_000, Reasoning: 2_000)));
    }
}
