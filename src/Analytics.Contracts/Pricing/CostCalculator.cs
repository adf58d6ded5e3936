namespace Analytics.Contracts;

/// <summary>The cost formula, in integer microdollars, with no floating point anywhere.</summary>
public static class CostCalculator
{
    private const long PerMillion = 1_000_000;

    /// <summary>
    /// Prices one request as the sum of five components, each floored on its own
    /// (<c>floor(tokens x price / 1,000,000)</c>):
    /// uncached input (<c>input - cache read - cache creation</c>) at the input price; cache reads and cache
    /// writes at their prices (the input price when the model has none); non-reasoning output
    /// (<c>output - reasoning</c>) at the output price; reasoning tokens at the reasoning price (the output
    /// price when the model has none). Flooring per component makes the result at most 4 microdollars below
    /// the exact sum, never above it. Products are taken in 128 bits and the total saturates at
    /// <see cref="long.MaxValue"/>, so no count can overflow into a wrong or negative cost.
    /// </summary>
    /// <param name="price">The model's price.</param>
    /// <param name="usage">Token counts; must be valid (see <see cref="TokenUsage.Validate"/>); a negative component counts 0.</param>
    /// <returns>Cost in microdollars.</returns>
    public static long Compute(ModelPrice price, in TokenUsage usage)
    {
        var total = Component(usage.Input - usage.CacheRead - usage.CacheCreation, price.InputMicrosPerMillion)
                  + Component(usage.CacheRead, price.CacheReadMicrosPerMillion ?? price.InputMicrosPerMillion)
                  + Component(usage.CacheCreation, price.CacheCreationMicrosPerMillion ?? price.InputMicrosPerMillion)
                  + Component(usage.Output - usage.Reasoning, price.OutputMicrosPerMillion)
                  + Component(usage.Reasoning, price.ReasoningMicrosPerMillion ?? price.OutputMicrosPerMillion);
        return total > long.MaxValue ? long.MaxValue : (long)total;
    }

    private static Int128 Component(long tokens, long microsPerMillion)
    {
        if (tokens <= 0 || microsPerMillion <= 0) return 0;
        // Common case: both fit in 31 + 32 bits, so the product fits a long and the 128-bit division is skipped.
        if (tokens <= int.MaxValue && microsPerMillion <= uint.MaxValue) return tokens * microsPerMillion / PerMillion;
        return (Int128)tokens * microsPerMillion / PerMillion;
    }
}
