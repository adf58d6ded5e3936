using Analytics.Actors.Pricing;
using Analytics.Benchmarks.Infrastructure;
using Analytics.Contracts;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Analytics.Benchmarks;

/// <summary>
/// What pricing costs the pump per event. The pump resolves a model through a per-model
/// memo (an ordinal <see cref="Dictionary{TKey, TValue}"/> of provider and price) and only on a miss asks
/// the catalog (<see cref="PriceTable.TryGetPrice"/>: exact, case-insensitive, vendor prefix, fine-tune)
/// and infers the provider.
/// </summary>
/// <remarks>
/// The memo is private to <c>IngressPumpActor</c>, so <see cref="Resolve"/> below is the same logic
/// (<c>IngressPumpActor.ResolveModel</c>, minus its size cap) over the same types; keep the two in step.
/// Lookup names are fresh string instances, as names parsed from a request are, so no lookup is
/// short-cut by reference equality with the key.
/// </remarks>
[Config(typeof(Cfg))]
public class PriceLookupBenchmarks
{
    private readonly PriceTable _table = PriceTable.Embedded;
    private readonly Dictionary<string, ModelInfo> _memo = new(StringComparer.Ordinal);
    private readonly string _seen = new("claude-sonnet-4-5".AsSpan());
    private readonly string _seenPrefixed = new("anthropic/claude-sonnet-4-5".AsSpan());
    private readonly string _neverSeen = new("acme-reasoner-7b".AsSpan());

    [GlobalSetup]
    public void Setup()
    {
        Resolve(new string(_seen.AsSpan()));
        Resolve(new string(_seenPrefixed.AsSpan()));
        if (_table.TryGetPrice(_neverSeen, out _)) throw new InvalidOperationException("the never-seen model has a price");
    }

    /// <summary>What the pump pays for every event of a model it has seen: one memo hit.</summary>
    [Benchmark(Baseline = true)]
    public ModelInfo Seen_PumpMemo() => Resolve(_seen);

    /// <summary>The same model without the memo: a frozen-dictionary hit.</summary>
    [Benchmark]
    public ModelPrice? Seen_PriceTable() => _table.TryGetPrice(_seen, out var price) ? price : null;

    /// <summary>A vendor-prefixed name without the memo: the catalog strips the prefix (allocating) every time.</summary>
    [Benchmark]
    public ModelPrice? SeenPrefixed_PriceTable() => _table.TryGetPrice(_seenPrefixed, out var price) ? price : null;

    /// <summary>The memo makes the prefixed name as cheap as any other after its first event.</summary>
    [Benchmark]
    public ModelInfo SeenPrefixed_PumpMemo() => Resolve(_seenPrefixed);

    /// <summary>
    /// The pump's first event of a model: memo miss, catalog miss on every rule, provider inference, memo
    /// insert. The entry is removed again so each call is a first sighting (the removal is in the time).
    /// </summary>
    [Benchmark]
    public ModelInfo NeverSeen_PumpFirstSighting()
    {
        var info = Resolve(_neverSeen);
        _memo.Remove(_neverSeen);
        return info;
    }

    /// <summary>The catalog alone for a name it does not have.</summary>
    [Benchmark]
    public ModelPrice? NeverSeen_PriceTable() => _table.TryGetPrice(_neverSeen, out var price) ? price : null;

    private ModelInfo Resolve(string model)
    {
        if (_memo.TryGetValue(model, out var info)) return info;
        info = _table.TryGetPrice(model, out var price)
            ? new ModelInfo(ProviderInference.Canonical(price.Provider), price)
            : new ModelInfo(ProviderInference.Infer(model), null);
        _memo.Add(model, info);
        return info;
    }

    public sealed record ModelInfo(string Provider, ModelPrice? Price);

    private sealed class Cfg : ManualConfig
    {
        public Cfg() => AddJob(BenchConfig.Mutator(fullIterations: 15, quickIterations: 3, fullWarmup: 5, quickWarmup: 1));
    }
}
