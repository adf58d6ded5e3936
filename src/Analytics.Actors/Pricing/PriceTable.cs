using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text.Json;
using Analytics.Contracts;

namespace Analytics.Actors.Pricing;

/// <summary>
/// An immutable price catalog over a frozen map. Model names resolve in this order: exact;
/// case-insensitive; without a vendor prefix (<c>openai/gpt-4o</c> -> <c>gpt-4o</c>); a fine-tune
/// (<c>ft:BASE:org::id</c>) to its base model.
/// </summary>
public sealed class PriceTable : IPriceCatalog
{
    private readonly FrozenDictionary<string, ModelPrice> _exact;
    private readonly FrozenDictionary<string, ModelPrice> _ignoreCase;

    /// <summary>Builds a table from model name to price.</summary>
    /// <param name="prices">The entries; later duplicates (ignoring case) lose to the first.</param>
    /// <param name="effectiveDate">When these list prices took effect, if known.</param>
    public PriceTable(IEnumerable<KeyValuePair<string, ModelPrice>> prices, string? effectiveDate = null)
    {
        var exact = new Dictionary<string, ModelPrice>(StringComparer.Ordinal);
        var ignoreCase = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, price) in prices)
        {
            exact[name] = price;
            ignoreCase.TryAdd(name, price);
        }
        _exact = exact.ToFrozenDictionary(StringComparer.Ordinal);
        _ignoreCase = ignoreCase.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        EffectiveDate = effectiveDate;
    }

    /// <summary>When these prices took effect, if known.</summary>
    public string? EffectiveDate { get; }

    /// <summary>Number of models.</summary>
    public int Count => _exact.Count;

    /// <summary>Every model and its price.</summary>
    public IReadOnlyDictionary<string, ModelPrice> Entries => _exact;

    /// <inheritdoc />
    public long Version => 0; // immutable

    /// <inheritdoc />
    public bool TryGetPrice(string model, [NotNullWhen(true)] out ModelPrice? price)
    {
        if (_exact.TryGetValue(model, out price) || _ignoreCase.TryGetValue(model, out price)) return true;
        var name = model.AsSpan().Trim();
        var slash = name.IndexOf('/');
        if (slash > 0 && slash < name.Length - 1 && TryGetPrice(name[(slash + 1)..].ToString(), out price)) return true;
        if (name.StartsWith("ft:", StringComparison.OrdinalIgnoreCase))
        {
            // "ft:BASE:org:suffix:id": the fine-tune's own price ("ft:BASE") first, then BASE's.
            var rest = name[3..];
            var colon = rest.IndexOf(':');
            var baseModel = (colon < 0 ? rest : rest[..colon]).ToString();
            if (baseModel.Length > 0
                && ((colon >= 0 && TryGetPrice("ft:" + baseModel, out price)) || TryGetPrice(baseModel, out price))) return true;
        }
        price = null;
        return false;
    }

    /// <summary>The catalog embedded in the library.</summary>
    public static PriceTable Embedded => EmbeddedHolder.Instance;

    /// <summary>Reads a catalog in this library's own format (see <c>Pricing/Data/prices.json</c>).</summary>
    /// <param name="json">The file's content.</param>
    /// <param name="source">Name used in error messages (a file path).</param>
    /// <returns>The table.</returns>
    /// <exception cref="FormatException">An entry is malformed; the message names the source and the entry.</exception>
    public static PriceTable ParseOwnFormat(string json, string source)
    {
        using var doc = JsonDocument.Parse(json);
        if (!doc.RootElement.TryGetProperty("models", out var models) || models.ValueKind != JsonValueKind.Object)
            throw new FormatException($"{source}: no \"models\" object");
        var entries = new List<KeyValuePair<string, ModelPrice>>();
        foreach (var entry in models.EnumerateObject())
        {
            var e = entry.Value;
            if (e.ValueKind != JsonValueKind.Object) throw new FormatException($"{source}: entry \"{entry.Name}\" is not an object");
            entries.Add(new(entry.Name, new ModelPrice
            {
                Provider = e.TryGetProperty("provider", out var p) && p.ValueKind == JsonValueKind.String
                    ? ProviderInference.Canonical(p.GetString())
                    : ProviderInference.Infer(entry.Name),
                InputMicrosPerMillion = Rate(e, "input", source, entry.Name) ?? throw new FormatException($"{source}: entry \"{entry.Name}\" has no \"input\" price"),
                OutputMicrosPerMillion = Rate(e, "output", source, entry.Name) ?? throw new FormatException($"{source}: entry \"{entry.Name}\" has no \"output\" price"),
                CacheReadMicrosPerMillion = Rate(e, "cache_read", source, entry.Name),
                CacheCreationMicrosPerMillion = Rate(e, "cache_write", source, entry.Name),
                ReasoningMicrosPerMillion = Rate(e, "reasoning", source, entry.Name),
            }));
        }
        var date = doc.RootElement.TryGetProperty("effective_date", out var d) ? d.GetString() : null;
        return new PriceTable(entries, date);
    }

    private static long? Rate(JsonElement entry, string field, string source, string model)
    {
        if (!entry.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out var micros) || micros < 0)
            throw new FormatException($"{source}: entry \"{model}\" field \"{field}\" must be a non-negative integer of microdollars per million tokens (got {v.GetRawText()})");
        return micros;
    }

    private static class EmbeddedHolder
    {
        public static readonly PriceTable Instance = Load();

        private static PriceTable Load()
        {
            const string name = "Analytics.Pricing.prices.json";
            using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
                ?? throw new InvalidOperationException($"embedded resource {name} is missing from {typeof(PriceTable).Assembly.GetName().Name}");
            using var reader = new StreamReader(stream);
            return ParseOwnFormat(reader.ReadToEnd(), "embedded prices.json");
        }
    }
}
