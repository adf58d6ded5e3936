namespace Analytics.Actors.Pricing;

/// <summary>
/// Infers the canonical provider of a model from its name when neither the caller nor the price
/// catalog says. Case-insensitive. Handles provider-prefixed names (<c>openai/gpt-4o</c>), fine-tunes
/// (<c>ft:gpt-4o-mini:org::id</c>) and every vendor family the catalog knows.
/// </summary>
public static class ProviderInference
{
    /// <summary>The provider used when nothing matches.</summary>
    public const string Unknown = "unknown";

    // Prefixes that name the vendor outright (LiteLLM-style "vendor/model").
    private static readonly (string Prefix, string Provider)[] VendorPrefixes =
    [
        ("openai/", "openai"), ("azure/", "openai"), ("azure_ai/", "openai"), ("anthropic/", "anthropic"),
        ("gemini/", "google"), ("google/", "google"), ("vertex_ai/", "google"), ("mistral/", "mistral"),
        ("mistralai/", "mistral"), ("deepseek/", "deepseek"), ("xai/", "xai"), ("x-ai/", "xai"),
        ("meta/", "meta"), ("meta-llama/", "meta"), ("cohere/", "cohere"),
    ];

    // Family prefixes of the bare model name, checked after any "vendor/" and "ft:" prefix is removed.
    private static readonly (string Prefix, string Provider)[] Families =
    [
        ("gpt-", "openai"), ("gpt4", "openai"), ("chatgpt-", "openai"), ("o1", "openai"), ("o3", "openai"),
        ("o4-", "openai"), ("codex-", "openai"), ("text-davinci", "openai"), ("davinci", "openai"),
        ("babbage", "openai"), ("text-embedding-", "openai"), ("omni-moderation", "openai"),
        ("claude", "anthropic"),
        ("gemini", "google"), ("gemma", "google"),
        ("mistral", "mistral"), ("mixtral", "mistral"), ("codestral", "mistral"), ("ministral", "mistral"),
        ("pixtral", "mistral"), ("magistral", "mistral"), ("devstral", "mistral"), ("open-mistral", "mistral"),
        ("open-mixtral", "mistral"),
        ("deepseek", "deepseek"),
        ("grok", "xai"),
        ("llama", "meta"), ("meta-llama", "meta"),
        ("command", "cohere"), ("c4ai-", "cohere"),
    ];

    /// <summary>Returns the canonical lowercase provider for <paramref name="model"/>, or <see cref="Unknown"/>.</summary>
    /// <param name="model">Model name as recorded.</param>
    /// <returns>openai, anthropic, google, mistral, deepseek, xai, meta, cohere or unknown.</returns>
    public static string Infer(string? model)
    {
        if (string.IsNullOrWhiteSpace(model)) return Unknown;
        var name = model.AsSpan().Trim();
        foreach (var (prefix, provider) in VendorPrefixes)
        {
            if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return provider;
        }

        // Other routers' prefixes ("bedrock/anthropic.claude-...", "openrouter/...") carry no vendor: look past them.
        var slash = name.LastIndexOf('/');
        if (slash >= 0) name = name[(slash + 1)..];
        var dot = name.IndexOf('.');
        if (dot > 0 && dot < name.Length - 1 && !char.IsDigit(name[dot + 1]) && IsBedrockVendor(name[..dot])) name = name[(dot + 1)..];
        if (name.StartsWith("ft:", StringComparison.OrdinalIgnoreCase)) name = name[3..];

        foreach (var (prefix, provider) in Families)
        {
            if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return provider;
        }
        return Unknown;
    }

    /// <summary>Lowercases and trims a provider name the caller supplied; empty becomes <see cref="Unknown"/>.</summary>
    /// <param name="provider">Provider as supplied.</param>
    /// <returns>The canonical form.</returns>
    public static string Canonical(string? provider)
    {
        if (string.IsNullOrWhiteSpace(provider)) return Unknown;
        var trimmed = provider.Trim();
        foreach (var c in trimmed)
        {
            if (char.IsUpper(c)) return trimmed.ToLowerInvariant();
        }
        return trimmed;
    }

    // Bedrock ids look like "anthropic.claude-3-haiku-..." or "meta.llama3-...".
    private static bool IsBedrockVendor(ReadOnlySpan<char> vendor) =>
        vendor.Equals("anthropic", StringComparison.OrdinalIgnoreCase) || vendor.Equals("meta", StringComparison.OrdinalIgnoreCase)
        || vendor.Equals("mistral", StringComparison.OrdinalIgnoreCase) || vendor.Equals("cohere", StringComparison.OrdinalIgnoreCase)
        || vendor.Equals("amazon", StringComparison.OrdinalIgnoreCase) || vendor.Equals("ai21", StringComparison.OrdinalIgnoreCase)
        || vendor.Equals("deepseek", StringComparison.OrdinalIgnoreCase);
}
