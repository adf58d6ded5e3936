using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using Analytics.Contracts;

namespace Analytics.Actors.Pricing;

/// <summary>
/// An immutable price catalog over frozen maps. A recorded model name resolves in this order; the first rule
/// that finds an entry wins:
/// <list type="number">
/// <item>exact (ordinal) name;</item>
/// <item>the same name ignoring case;</item>
/// <item>dated snapshots: a name ending in a date (<c>-YYYY-MM-DD</c>, <c>-YYYYMMDD</c>, or Vertex's <c>@YYYYMMDD</c>,
/// tried first as <c>-YYYYMMDD</c>) resolves to its undated alias (<c>gpt-4o-2024-08-06</c> to <c>gpt-4o</c>); an undated name
/// resolves to its dated snapshot when the catalog has only one, or several with one and the same price
/// (<c>claude-sonnet-4-5</c> to <c>claude-sonnet-4-5-20250929</c>);</item>
/// <item>provider prefixes: <c>openai/</c>, <c>anthropic/</c>, <c>azure/</c>, <c>bedrock/</c>, <c>vertex_ai/</c> or any other
/// <c>segment/</c> is removed and the rest resolved with every rule, so an entry written with the prefix
/// (<c>azure/gpt-4o</c>) always wins over the base model's price;</item>
/// <item>Bedrock ids: <c>[region.]vendor.model-vN:M</c> resolves as <c>model</c>
/// (<c>us.anthropic.claude-3-5-sonnet-20241022-v2:0</c> to <c>claude-3-5-sonnet-20241022</c>);</item>
/// <item>fine-tunes: <c>ft:BASE:org:suffix:id</c> resolves to the fine-tune price <c>ft:BASE</c> (rules 1 to 3), else to
/// <c>BASE</c> with every rule.</item>
/// </list>
/// Resolution allocates and is not meant for a hot path: callers memoise per distinct model string (the pump does).
/// </summary>
internal sealed class PriceTable : IPriceCatalog
{
    private readonly FrozenDictionary<string, ModelPrice> _exact;
    private readonly FrozenDictionary<string, string> _ignoreCase;
    // Undated name -> the dated entry it stands for, or null when several dated entries disagree on price.
    private readonly FrozenDictionary<string, string?> _undated;

    /// <summary>Builds a table from model name to price.</summary>
    /// <param name="prices">The entries. For an exact duplicate the last wins; for names that differ only in case,
    /// each keeps its own exact entry and the first one answers case-insensitive lookups.</param>
    /// <param name="effectiveDate">When these list prices took effect, if known (ISO 8601 date).</param>
    public PriceTable(IEnumerable<KeyValuePair<string, ModelPrice>> prices, string? effectiveDate = null)
    {
        ArgumentNullException.ThrowIfNull(prices);
        var exact = new Dictionary<string, ModelPrice>(StringComparer.Ordinal);
        var ignoreCase = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var undated = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, price) in prices)
        {
            ArgumentNullException.ThrowIfNull(name);
            ArgumentNullException.ThrowIfNull(price);
            exact[name] = price;
            ignoreCase.TryAdd(name, name);
        }
        foreach (var (name, price) in exact)
        {
            if (!ModelNames.TrySplitDate(name, out var stem, out _, out _)) continue;
            var key = stem.ToString();
            if (!undated.TryGetValue(key, out var existing)) undated[key] = name;
            else if (existing is not null && exact[existing] != price) undated[key] = null;
        }
        _exact = exact.ToFrozenDictionary(StringComparer.Ordinal);
        _ignoreCase = ignoreCase.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        _undated = undated.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        EffectiveDate = effectiveDate;
    }

    /// <summary>When these prices took effect, if known.</summary>
    public string? EffectiveDate { get; }

    /// <summary>Number of entries.</summary>
    public int Count => _exact.Count;

    /// <summary>Every entry and its price, by exact name.</summary>
    public IReadOnlyDictionary<string, ModelPrice> Entries => _exact;

    /// <inheritdoc />
    public long Version => 0; // immutable

    /// <summary>The catalog embedded in the library (<c>Pricing/Data/prices.json</c>).</summary>
    public static PriceTable Embedded => EmbeddedHolder.Instance;

    /// <inheritdoc />
    public bool TryGetPrice(string model, [NotNullWhen(true)] out ModelPrice? price) => TryResolve(model, out _, out price);

    /// <summary>Resolves <paramref name="model"/> with the rules in the class summary and says which entry answered.</summary>
    /// <param name="model">Model name as recorded.</param>
    /// <param name="entry">The catalog entry whose price applies.</param>
    /// <param name="price">Its price.</param>
    /// <returns>True when some entry applies.</returns>
    public bool TryResolve(string model, [NotNullWhen(true)] out string? entry, [NotNullWhen(true)] out ModelPrice? price)
    {
        entry = string.IsNullOrWhiteSpace(model) ? null : Resolve(model.Trim());
        if (entry is null)
        {
            price = null;
            return false;
        }
        price = _exact[entry];
        return true;
    }

    /// <summary>
    /// A new table holding <paramref name="overlay"/> and every entry of this table whose name (ignoring case) the
    /// overlay does not have: the overlay replaces this table's prices for its models.
    /// </summary>
    /// <param name="overlay">The entries that win.</param>
    /// <param name="effectiveDate">The new table's effective date; null keeps this table's.</param>
    /// <returns>The combined table.</returns>
    public PriceTable WithOverlay(IEnumerable<KeyValuePair<string, ModelPrice>> overlay, string? effectiveDate = null)
    {
        ArgumentNullException.ThrowIfNull(overlay);
        var combined = new List<KeyValuePair<string, ModelPrice>>(overlay);
        var replaced = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, _) in combined) replaced.Add(name);
        foreach (var pair in _exact)
        {
            if (!replaced.Contains(pair.Key)) combined.Add(pair);
        }
        return new PriceTable(combined, effectiveDate ?? EffectiveDate);
    }

    private string? Resolve(string name)
    {
        if (Direct(name) is { } direct) return direct;

        var slash = name.IndexOf('/');
        if (slash >= 0) return slash < name.Length - 1 ? Resolve(name[(slash + 1)..]) : null;

        if (ProviderInference.TrySplitBedrock(name, out _, out var bedrockModel)) return Resolve(bedrockModel.ToString());

        if (name.StartsWith("ft:", StringComparison.OrdinalIgnoreCase))
        {
            var rest = name.AsSpan(3);
            var colon = rest.IndexOf(':');
            var baseModel = colon < 0 ? rest : rest[..colon];
            if (baseModel.IsEmpty) return null;
            if (colon >= 0 && Direct(string.Concat("ft:", baseModel)) is { } fineTune) return fineTune;
            return Resolve(baseModel.ToString());
        }
        return null;
    }

    // Rules 1 to 3: the name as written, without removing anything but a date.
    private string? Direct(string name)
    {
        if (Lookup(name) is { } found) return found;
        if (ModelNames.TrySplitDate(name, out var stem, out var compactDate, out var separator))
        {
            if (separator == '@' && Lookup(string.Concat(stem, "-", compactDate)) is { } vendorForm) return vendorForm;
            var undated = stem.ToString();
            return Lookup(undated) ?? SingleDated(undated);
        }
        return SingleDated(name);
    }

    private string? Lookup(string name) =>
        _exact.ContainsKey(name) ? name : _ignoreCase.GetValueOrDefault(name);

    private string? SingleDated(string undated) => _undated.GetValueOrDefault(undated);

    private static class EmbeddedHolder
    {
        public static readonly PriceTable Instance = Load();

        private static PriceTable Load()
        {
            const string name = "Analytics.Pricing.prices.json";
            using var stream = typeof(PriceTable).Assembly.GetManifestResourceStream(name)
                ?? throw new InvalidOperationException($"embedded resource {name} is missing from {typeof(PriceTable).Assembly.GetName().Name}");
            using var reader = new StreamReader(stream);
            return PriceFileReader.Read(reader.ReadToEnd(), "embedded prices.json").Table;
        }
    }
}
