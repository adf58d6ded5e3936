namespace Analytics.Contracts;

/// <summary>
/// The list price of one model, in integer microdollars per million tokens
/// (so $2.50 per million input tokens is <c>2_500_000</c>). Optional rates fall back to the
/// input (cache rates) or output (reasoning rate) price when null.
/// </summary>
public sealed record ModelPrice
{
    /// <summary>Canonical lowercase provider (openai, anthropic, google, ...).</summary>
    public required string Provider { get; init; }

    /// <summary>Uncached prompt tokens.</summary>
    public required long InputMicrosPerMillion { get; init; }

    /// <summary>Completion tokens.</summary>
    public required long OutputMicrosPerMillion { get; init; }

    /// <summary>Prompt tokens read from the cache; null means billed at the input price.</summary>
    public long? CacheReadMicrosPerMillion { get; init; }

    /// <summary>Prompt tokens written to the cache; null means billed at the input price.</summary>
    public long? CacheCreationMicrosPerMillion { get; init; }

    /// <summary>Reasoning tokens when the vendor bills them apart; null means billed at the output price.</summary>
    public long? ReasoningMicrosPerMillion { get; init; }
}

/// <summary>
/// A source of model prices. Implementations must be safe to read from any thread; a catalog that
/// can change (a reloaded file) bumps <see cref="Version"/> so memoising readers know to forget.
/// </summary>
public interface IPriceCatalog
{
    /// <summary>Changes whenever the prices behind this catalog change.</summary>
    long Version { get; }

    /// <summary>Finds the price of <paramref name="model"/>, resolving aliases as the catalog documents.</summary>
    /// <param name="model">Model name as the caller recorded it.</param>
    /// <param name="price">The price when found.</param>
    /// <returns>True when the model has a price.</returns>
    bool TryGetPrice(string model, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ModelPrice? price);
}

/// <summary>The cost formula, in integer microdollars, with no floating point anywhere.</summary>
public static class CostCalculator
{
    private const long PerMillion = 1_000_000;

    /// <summary>
    /// Prices one request. Each component is floored on its own:
    /// uncached input (input - cache read - cache creation) at the input price, cache reads and cache
    /// writes at their prices (input price when the model has none), non-reasoning output at the output
    /// price and reasoning tokens at the reasoning price (output price when the model has none).
    /// Products are taken in 128 bits so no realistic count can overflow.
    /// </summary>
    /// <param name="price">The model's price.</param>
    /// <param name="usage">Token counts; must be valid (see <see cref="TokenUsage.Validate"/>).</param>
    /// <returns>Cost in microdollars.</returns>
    public static long Compute(ModelPrice price, in TokenUsage usage)
    {
        var uncached = usage.Input - usage.CacheRead - usage.CacheCreation;
        var plainOutput = usage.Output - usage.Reasoning;
        return Component(uncached, price.InputMicrosPerMillion)
             + Component(usage.CacheRead, price.CacheReadMicrosPerMillion ?? price.InputMicrosPerMillion)
             + Component(usage.CacheCreation, price.CacheCreationMicrosPerMillion ?? price.InputMicrosPerMillion)
             + Component(plainOutput, price.OutputMicrosPerMillion)
             + Component(usage.Reasoning, price.ReasoningMicrosPerMillion ?? price.OutputMicrosPerMillion);
    }

    private static long Component(long tokens, long microsPerMillion) =>
        tokens <= 0 || microsPerMillion <= 0 ? 0 : (long)((Int128)tokens * microsPerMillion / PerMillion);
}
