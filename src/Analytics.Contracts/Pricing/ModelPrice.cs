namespace Analytics.Contracts;

/// <summary>
/// The list price of one model, in integer microdollars per million tokens
/// (so $2.50 per million input tokens is <c>2_500_000</c>, and $0.075 is <c>75_000</c>). Optional rates fall
/// back to the input price (cache rates) or the output price (reasoning rate) when null.
/// </summary>
public sealed record ModelPrice
{
    /// <summary>Canonical lowercase provider (openai, anthropic, google, mistral, deepseek, xai, meta, cohere, unknown).</summary>
    public required string Provider { get; init; }

    /// <summary>Uncached prompt tokens, microdollars per million tokens.</summary>
    public required long InputMicrosPerMillion { get; init; }

    /// <summary>Completion tokens, microdollars per million tokens.</summary>
    public required long OutputMicrosPerMillion { get; init; }

    /// <summary>Prompt tokens read from the cache; null means billed at the input price.</summary>
    public long? CacheReadMicrosPerMillion { get; init; }

    /// <summary>Prompt tokens written to the cache; null means billed at the input price.</summary>
    public long? CacheCreationMicrosPerMillion { get; init; }

    /// <summary>Reasoning tokens when the vendor bills them apart; null means billed at the output price.</summary>
    public long? ReasoningMicrosPerMillion { get; init; }
}
