namespace Analytics.Actors;

/// <summary>
/// One model's price in configuration (<c>Analytics:Pricing:Overrides:&lt;model&gt;</c>). Every price is in
/// microdollars per million tokens: $3 per million tokens is 3000000.
/// </summary>
public sealed class PriceOverride
{
    /// <summary>The model name, when the configuration key cannot be it (names holding <c>:</c>). Default: the key.</summary>
    public string? Model { get; set; }

    /// <summary>Canonical provider (openai, anthropic, google, ...). Default: inferred from the model name.</summary>
    public string? Provider { get; set; }

    /// <summary>Uncached prompt tokens. Required.</summary>
    public long? Input { get; set; }

    /// <summary>Completion tokens. Required.</summary>
    public long? Output { get; set; }

    /// <summary>Prompt tokens read from the cache. Default: the input price.</summary>
    public long? CacheRead { get; set; }

    /// <summary>Prompt tokens written to the cache. Default: the input price.</summary>
    public long? CacheWrite { get; set; }

    /// <summary>Reasoning tokens, when billed apart from output. Default: the output price.</summary>
    public long? Reasoning { get; set; }

    internal PriceOverride Clone() => (PriceOverride)MemberwiseClone();
}
