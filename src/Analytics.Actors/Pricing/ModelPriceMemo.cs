using Akka.Event;
using Analytics.Actors.Ingress;
using Analytics.Contracts;

namespace Analytics.Actors.Pricing;

/// <summary>How the pump priced one request: its canonical provider, its cost and whether it was unpriced.</summary>
/// <param name="Provider">Canonical lowercase provider.</param>
/// <param name="CostMicros">Cost in microdollars (0 when unpriced).</param>
/// <param name="Unpriced">True when no price was known and the caller supplied no cost.</param>
internal readonly record struct PricedRequest(string Provider, long CostMicros, bool Unpriced);

/// <summary>
/// The pump's memo of what each model string resolves to (its price and provider), so a model seen before costs
/// one dictionary lookup instead of the catalog's resolution rules. Pump only: not thread-safe.
/// </summary>
/// <remarks>
/// The memo is dropped whenever the catalog's <see cref="IPriceCatalog.Version"/> changes (a reloaded price file), and
/// it is bounded, so a flood of distinct garbage model names cannot grow it without limit.
/// </remarks>
internal sealed class ModelPriceMemo
{
    private const int MaxMemoised = 100_000;

    private readonly IPriceCatalog _catalog;
    private readonly ILoggingAdapter _log;
    private readonly Dictionary<string, ModelInfo> _models = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _providers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _warnedUnpriced = new(StringComparer.Ordinal);
    private long _catalogVersion;

    public ModelPriceMemo(IPriceCatalog catalog, ILoggingAdapter log)
    {
        _catalog = catalog;
        _log = log;
        _catalogVersion = catalog.Version;
    }

    /// <summary>
    /// Changes whenever <see cref="Refresh"/> found a new catalog, so a caller that keeps a <see cref="ModelInfo"/> of its
    /// own (the pump, per model) knows to resolve it again.
    /// </summary>
    public long Version => _catalogVersion;

    /// <summary>Forgets every memoised price when the catalog changed since the last call; called once per drain.</summary>
    public void Refresh()
    {
        if (_catalog.Version == _catalogVersion) return;
        _models.Clear();
        _catalogVersion = _catalog.Version;
    }

    /// <summary>
    /// Prices a completed request: a caller-supplied cost wins (keeping a pre-built event's unpriced flag), else the
    /// catalog's price, else 0 and unpriced (warned once per model).
    /// </summary>
    public PricedRequest PriceCompleted(in IngressRecord r)
    {
        var info = Resolve(r.Model!);
        var (cost, unpriced) = Cost(r, info);
        return new PricedRequest(r.Provider is null ? info.Provider : Canonical(r.Provider), cost, unpriced);
    }

    /// <summary>
    /// The cost part of <see cref="PriceCompleted"/>, for a caller that resolved the model and knows the provider already
    /// (the pump keeps both per model, so an event costs it no lookup here).
    /// </summary>
    public (long CostMicros, bool Unpriced) Cost(in IngressRecord r, ModelInfo info)
    {
        if (r.CostMicros >= 0) return (r.CostMicros, r.Prebuilt is LlmRequestCompleted { Unpriced: true });
        if (info.Price is { } price) return (CostCalculator.Compute(price, r.Usage), false);
        WarnUnpriced(r.Model!);
        return (0, true);
    }

    /// <summary>The provider of a failed request (it costs nothing).</summary>
    public PricedRequest PriceFailed(in IngressRecord r)
        => new(r.Provider is null ? Resolve(r.Model!).Provider : Canonical(r.Provider), 0, false);

    /// <summary>The canonical form of a caller-supplied provider name (memoised).</summary>
    public string Canonical(string provider)
    {
        if (_providers.TryGetValue(provider, out var canonical)) return canonical;
        canonical = ProviderInference.Canonical(provider);
        if (_providers.Count < MaxMemoised) _providers.Add(provider, canonical);
        return canonical;
    }

    /// <summary>What a model string resolves to: its price (or none) and its provider. Memoised until the catalog changes.</summary>
    public ModelInfo Resolve(string model)
    {
        if (_models.TryGetValue(model, out var info)) return info;
        if (_models.Count >= MaxMemoised) _models.Clear();
        ModelPrice? price;
        try
        {
            if (!_catalog.TryGetPrice(model, out price)) price = null;
        }
        catch (Exception e)
        {
            // A user-supplied catalog that throws must not restart the pump (and lose every running total):
            // the model is treated as unpriced, which is counted and warned about.
            _log.Error(e, "Price catalog {Catalog} failed for model {Model}; the model is treated as unpriced", _catalog.GetType().Name, model);
            price = null;
        }
        info = price is not null
            ? new ModelInfo(ProviderInference.Canonical(price.Provider), price)
            : new ModelInfo(ProviderInference.Infer(model), null);
        _models.Add(model, info);
        return info;
    }

    private void WarnUnpriced(string model)
    {
        if (_warnedUnpriced.Count < MaxMemoised && _warnedUnpriced.Add(model))
            _log.Warning("Model {Model} has no price: its requests cost 0 and count as unpriced_requests. Add it under Analytics:Pricing:Overrides.", model);
    }
}

/// <summary>What a model string resolved to.</summary>
/// <param name="Provider">Canonical provider: the catalog entry's, else inferred from the name.</param>
/// <param name="Price">Its price, or null when the catalog has none.</param>
internal sealed record ModelInfo(string Provider, ModelPrice? Price);
