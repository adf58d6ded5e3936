namespace Analytics.Actors.Pricing;

/// <summary>
/// Infers the canonical provider (the vendor of the model) from a model name when neither the caller nor the
/// price catalog says. Case-insensitive. Understands router prefixes (<c>openai/gpt-4o</c>,
/// <c>openrouter/anthropic/claude-...</c>, <c>azure/...</c>, <c>vertex_ai/...</c>), Bedrock ids
/// (<c>us.anthropic.claude-...-v1:0</c>), fine-tunes (<c>ft:gpt-4o-mini:org::id</c>) and every vendor family the
/// embedded catalog knows. Canonical names: openai, anthropic, google, mistral, deepseek, xai, meta, cohere, unknown.
/// </summary>
internal static class ProviderInference
{
    /// <summary>The provider used when nothing matches.</summary>
    public const string Unknown = "unknown";

    // A path segment that names the model's vendor outright ("vendor/model", as LiteLLM, OpenRouter and Hugging Face write).
    private static readonly (string Segment, string Provider)[] VendorSegments =
    [
        ("openai", "openai"), ("text-completion-openai", "openai"), ("anthropic", "anthropic"), ("gemini", "google"),
        ("google", "google"), ("mistral", "mistral"), ("mistralai", "mistral"), ("codestral", "mistral"),
        ("deepseek", "deepseek"), ("deepseek-ai", "deepseek"), ("xai", "xai"), ("x-ai", "xai"), ("meta", "meta"),
        ("meta-llama", "meta"), ("meta_llama", "meta"), ("cohere", "cohere"), ("cohere_chat", "cohere"), ("cohereforai", "cohere"),
    ];

    // A segment naming a host that serves several vendors: the model name decides, this is only the fallback.
    private static readonly (string Segment, string Provider)[] HostSegments =
    [
        ("azure", "openai"), ("vertex_ai", "google"), ("vertex_ai_beta", "google"),
    ];

    // Bedrock ids are "[region.]vendor.model[-vN[:M]]".
    private static readonly (string Vendor, string Provider)[] BedrockVendors =
    [
        ("anthropic", "anthropic"), ("meta", "meta"), ("mistral", "mistral"), ("cohere", "cohere"),
        ("deepseek", "deepseek"), ("openai", "openai"), ("amazon", Unknown), ("ai21", Unknown), ("writer", Unknown), ("qwen", Unknown),
    ];

    private static readonly string[] BedrockRegions = ["us", "eu", "apac", "global", "jp", "au", "ca", "us-gov"];

    // Family prefixes of the bare model name, checked after prefixes and "ft:" are removed.
    private static readonly (string Prefix, string Provider)[] Families =
    [
        // Google's "text-embedding-004" must match before OpenAI's "text-embedding-".
        ("text-embedding-00", "google"),
        ("gpt-", "openai"), ("gpt4", "openai"), ("gpt3", "openai"), ("chatgpt-", "openai"), ("o1", "openai"), ("o3", "openai"),
        ("o4-", "openai"), ("codex-", "openai"), ("text-davinci", "openai"), ("davinci", "openai"), ("babbage", "openai"),
        ("text-embedding-", "openai"), ("omni-moderation", "openai"), ("text-moderation", "openai"), ("dall-e", "openai"),
        ("whisper", "openai"), ("tts-", "openai"),
        ("claude", "anthropic"),
        ("gemini", "google"), ("gemma", "google"), ("text-bison", "google"), ("chat-bison", "google"),
        ("mistral", "mistral"), ("mixtral", "mistral"), ("codestral", "mistral"), ("ministral", "mistral"), ("pixtral", "mistral"),
        ("magistral", "mistral"), ("devstral", "mistral"), ("voxtral", "mistral"), ("open-mistral", "mistral"), ("open-mixtral", "mistral"),
        ("open-codestral", "mistral"),
        ("deepseek", "deepseek"),
        ("grok", "xai"),
        ("llama", "meta"), ("meta-llama", "meta"), ("codellama", "meta"),
        ("command", "cohere"), ("c4ai-", "cohere"), ("embed-english", "cohere"), ("embed-multilingual", "cohere"), ("rerank-", "cohere"),
    ];

    /// <summary>Returns the canonical lowercase provider for <paramref name="model"/>, or <see cref="Unknown"/>.</summary>
    /// <param name="model">Model name as recorded.</param>
    /// <returns>openai, anthropic, google, mistral, deepseek, xai, meta, cohere or unknown.</returns>
    public static string Infer(string? model)
    {
        if (string.IsNullOrWhiteSpace(model)) return Unknown;
        var name = model.AsSpan().Trim();
        string? fallback = null;
        int slash;
        while ((slash = name.IndexOf('/')) >= 0)
        {
            var segment = name[..slash];
            if (Lookup(VendorSegments, segment) is { } vendor) return vendor;
            fallback ??= Lookup(HostSegments, segment);
            name = name[(slash + 1)..];
        }

        if (TrySplitBedrock(name, out var bedrockVendor, out _)) return bedrockVendor;
        if (name.StartsWith("ft:", StringComparison.OrdinalIgnoreCase)) name = name[3..];
        foreach (var (prefix, provider) in Families)
        {
            if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return provider;
        }
        return fallback ?? Unknown;
    }

    /// <summary>
    /// The canonical provider of a LiteLLM price entry: its <c>litellm_provider</c> when that names the vendor
    /// (<c>openai</c>, <c>text-completion-openai</c>, <c>anthropic</c>, <c>gemini</c>, <c>mistral</c>,
    /// <c>codestral</c>, <c>deepseek</c>, <c>xai</c>, <c>cohere</c>, <c>cohere_chat</c>, <c>meta_llama</c>); for a host
    /// that serves several vendors (<c>azure</c>, <c>azure_ai</c>, <c>vertex_ai-*</c>, <c>bedrock</c>, <c>bedrock_converse</c>,
    /// <c>groq</c>, <c>together_ai</c>, ...) the model name decides, with <c>azure</c> falling back to openai and
    /// <c>vertex_ai-*</c> to google.
    /// </summary>
    /// <param name="litellmProvider">The entry's <c>litellm_provider</c>, if any.</param>
    /// <param name="model">The entry's model name.</param>
    /// <returns>The canonical provider.</returns>
    public static string FromLiteLlm(string? litellmProvider, string model)
    {
        var p = litellmProvider.AsSpan().Trim();
        if (Lookup(VendorSegments, p) is { } vendor) return vendor;
        var inferred = Infer(model);
        if (inferred != Unknown) return inferred;
        if (p.Equals("azure", StringComparison.OrdinalIgnoreCase) || p.Equals("azure_text", StringComparison.OrdinalIgnoreCase)) return "openai";
        if (p.StartsWith("vertex_ai", StringComparison.OrdinalIgnoreCase)) return "google";
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

    /// <summary>
    /// Splits a Bedrock model id (<c>[region.]vendor.model[-vN[:M]]</c>, for example
    /// <c>us.anthropic.claude-3-5-sonnet-20241022-v2:0</c>) into its canonical vendor and the vendor's own model
    /// name (<c>claude-3-5-sonnet-20241022</c>).
    /// </summary>
    /// <param name="name">A name with any <c>bedrock/</c> prefix already removed.</param>
    /// <param name="provider">The canonical provider of the vendor.</param>
    /// <param name="model">The model name without region, vendor and version suffix.</param>
    /// <returns>True when <paramref name="name"/> is a Bedrock id of a known vendor.</returns>
    internal static bool TrySplitBedrock(ReadOnlySpan<char> name, out string provider, out ReadOnlySpan<char> model)
    {
        provider = Unknown;
        model = default;
        var dot = name.IndexOf('.');
        if (dot <= 0) return false;
        foreach (var region in BedrockRegions)
        {
            if (name[..dot].Equals(region, StringComparison.OrdinalIgnoreCase))
            {
                name = name[(dot + 1)..];
                dot = name.IndexOf('.');
                break;
            }
        }
        if (dot <= 0 || dot == name.Length - 1 || Lookup(BedrockVendors, name[..dot]) is not { } vendor) return false;
        provider = vendor;
        model = StripBedrockVersion(name[(dot + 1)..]);
        return true;
    }

    // "-v1:0", "-v2:0", "-v1" and a bare ":0" are Bedrock's own version tags, not part of the vendor's name.
    private static ReadOnlySpan<char> StripBedrockVersion(ReadOnlySpan<char> name)
    {
        var colon = name.LastIndexOf(':');
        if (colon > 0 && ModelNames.AllDigits(name[(colon + 1)..])) name = name[..colon];
        var dash = name.LastIndexOf("-v", StringComparison.OrdinalIgnoreCase);
        if (dash > 0 && ModelNames.AllDigits(name[(dash + 2)..])) name = name[..dash];
        return name;
    }

    private static string? Lookup((string Key, string Provider)[] table, ReadOnlySpan<char> key)
    {
        foreach (var (k, provider) in table)
        {
            if (key.Equals(k, StringComparison.OrdinalIgnoreCase)) return provider;
        }
        return null;
    }
}
