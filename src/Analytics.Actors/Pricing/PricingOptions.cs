using Analytics.Contracts;

namespace Analytics.Actors.Pricing;

/// <summary>
/// Price settings, bound from <c>Analytics:Pricing</c>. The catalog in force is the embedded one, overlaid by
/// <see cref="File"/>, overlaid by <see cref="Overrides"/>: for a model named in a later layer, that layer's price wins.
/// </summary>
public sealed class PricingOptions
{
    /// <summary>
    /// A price file overlaying the embedded catalog: LiteLLM's <c>model_prices_and_context_window.json</c> or a file in
    /// this library's own format (detected from the content). A relative path is resolved against the current directory.
    /// Default: none. The file must exist and parse at start; later changes are reloaded (see <see cref="ReloadOnChange"/>).
    /// </summary>
    public string? File { get; set; }

    /// <summary>
    /// Watch <see cref="File"/> and swap in its new prices when it changes. A file that no longer parses, or was
    /// removed, keeps the last good prices and logs why. Default true.
    /// </summary>
    public bool ReloadOnChange { get; set; } = true;

    /// <summary>
    /// How long the file must stay quiet after a change before it is read, so an editor's or a copy's several
    /// writes load once. Default 00:00:00.500; 0..00:01:00.
    /// </summary>
    public TimeSpan ReloadDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Per-model prices that win over the embedded catalog and <see cref="File"/>, for private, fine-tuned or
    /// unlisted models. The key is the model name; every price is in microdollars per million tokens
    /// (USD per million tokens x 1,000,000: $0.15 is 150000). For a name that cannot be a configuration key
    /// (it holds a <c>:</c>, like <c>ft:gpt-4o-mini:org::id</c>) use any key and set <see cref="PriceOverride.Model"/>.
    /// Default: none.
    /// </summary>
    public Dictionary<string, PriceOverride> Overrides { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A copy, so a caller's tweaks never reach a shared instance.</summary>
    /// <returns>The copy.</returns>
    internal PricingOptions Clone()
    {
        var copy = (PricingOptions)MemberwiseClone();
        copy.Overrides = new Dictionary<string, PriceOverride>(StringComparer.OrdinalIgnoreCase);
        if (Overrides is not null)
        {
            foreach (var (key, value) in Overrides) copy.Overrides[key] = value?.Clone()!;
        }
        return copy;
    }

    /// <summary>The overrides as catalog entries (model name to price). Call only on valid options.</summary>
    /// <returns>The entries.</returns>
    internal List<KeyValuePair<string, ModelPrice>> OverrideEntries()
    {
        var list = new List<KeyValuePair<string, ModelPrice>>();
        if (Overrides is null) return list;
        foreach (var (key, o) in Overrides)
        {
            var model = string.IsNullOrWhiteSpace(o.Model) ? key : o.Model.Trim();
            list.Add(new(model, new ModelPrice
            {
                Provider = string.IsNullOrWhiteSpace(o.Provider) ? ProviderInference.Infer(model) : ProviderInference.Canonical(o.Provider),
                InputMicrosPerMillion = o.Input ?? 0,
                OutputMicrosPerMillion = o.Output ?? 0,
                CacheReadMicrosPerMillion = o.CacheRead,
                CacheCreationMicrosPerMillion = o.CacheWrite,
                ReasoningMicrosPerMillion = o.Reasoning,
            }));
        }
        return list;
    }

    /// <summary>Checks the pricing settings; adds one message per problem, naming the full key.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="failures">Where problems are collected.</param>
    internal static void Validate(PricingOptions options, List<string> failures)
    {
        const string section = AnalyticsOptions.SectionName + ":Pricing";
        if (options.File is not null)
        {
            if (string.IsNullOrWhiteSpace(options.File))
                failures.Add($"{section}:File must be a file path or unset (got an empty string).");
            else if (!System.IO.File.Exists(options.File))
                failures.Add($"{section}:File: the price file '{Path.GetFullPath(options.File)}' does not exist.");
        }
        if (options.ReloadDelay < TimeSpan.Zero || options.ReloadDelay > TimeSpan.FromMinutes(1))
            failures.Add($"{section}:ReloadDelay must be between {TimeSpan.Zero:c} and {TimeSpan.FromMinutes(1):c} (got {options.ReloadDelay:c}).");

        if (options.Overrides is null) return;
        var models = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, o) in options.Overrides)
        {
            var prefix = $"{section}:Overrides:{key}";
            if (o is null)
            {
                failures.Add($"{prefix} must set Input and Output (microdollars per million tokens).");
                continue;
            }
            var model = string.IsNullOrWhiteSpace(o.Model) ? key : o.Model.Trim();
            if (models.TryGetValue(model, out var other))
                failures.Add($"{prefix} prices model '{model}', which {section}:Overrides:{other} prices already.");
            else
                models.Add(model, key);
            if (o.Model is not null && string.IsNullOrWhiteSpace(o.Model))
                failures.Add($"{prefix}:Model must be a model name or unset (got an empty string).");
            Required(failures, prefix, "Input", o.Input);
            Required(failures, prefix, "Output", o.Output);
            NonNegative(failures, prefix, "CacheRead", o.CacheRead);
            NonNegative(failures, prefix, "CacheWrite", o.CacheWrite);
            NonNegative(failures, prefix, "Reasoning", o.Reasoning);
        }
    }

    private static void Required(List<string> failures, string prefix, string name, long? value)
    {
        if (value is null) failures.Add($"{prefix}:{name} is required (microdollars per million tokens, >= 0).");
        else NonNegative(failures, prefix, name, value);
    }

    private static void NonNegative(List<string> failures, string prefix, string name, long? value)
    {
        if (value < 0) failures.Add($"{prefix}:{name} must be >= 0 (got {value}).");
    }
}

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
