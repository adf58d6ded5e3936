using Analytics.Actors.Hosting;
using Analytics.Actors.Pricing;
using Analytics.Contracts;

namespace Analytics.Actors;

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
    /// <param name="errors">Where problems are collected (the <c>Analytics:Pricing</c> section).</param>
    internal static void Validate(PricingOptions options, OptionErrors errors)
    {
        if (options.File is not null)
        {
            if (string.IsNullOrWhiteSpace(options.File))
                errors.Add("File", "must be a file path or unset (got an empty string).");
            else if (!System.IO.File.Exists(options.File))
                errors.Add("File", $"must name an existing file: the price file '{Path.GetFullPath(options.File)}' does not exist.");
        }
        errors.Duration("ReloadDelay", options.ReloadDelay, TimeSpan.Zero, TimeSpan.FromMinutes(1));

        if (options.Overrides is null) return;
        var overrides = errors.Section("Overrides");
        var models = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, o) in options.Overrides)
        {
            var entry = overrides.Section(key);
            if (o is null)
            {
                overrides.Add(key, "must set Input and Output (microdollars per million tokens).");
                continue;
            }
            var model = string.IsNullOrWhiteSpace(o.Model) ? key : o.Model.Trim();
            if (models.TryGetValue(model, out var other))
                overrides.Add(key, $"prices model '{model}', which {overrides.Key(other)} prices already.");
            else
                models.Add(model, key);
            if (o.Model is not null && string.IsNullOrWhiteSpace(o.Model))
                entry.Add("Model", "must be a model name or unset (got an empty string).");
            entry.Required("Input", o.Input, "microdollars per million tokens");
            entry.Required("Output", o.Output, "microdollars per million tokens");
            entry.NonNegative("CacheRead", o.CacheRead);
            entry.NonNegative("CacheWrite", o.CacheWrite);
            entry.NonNegative("Reasoning", o.Reasoning);
        }
    }
}
