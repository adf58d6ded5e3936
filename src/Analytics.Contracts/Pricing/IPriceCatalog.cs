namespace Analytics.Contracts;

/// <summary>
/// A source of model prices. Implementations must be safe to read from any thread; a catalog that
/// can change (a reloaded file) bumps <see cref="Version"/> after the new prices are visible, so a
/// memoising reader that sees a new version and forgets its memo reads the new prices.
/// </summary>
public interface IPriceCatalog
{
    /// <summary>Changes whenever the prices behind this catalog change.</summary>
    long Version { get; }

    /// <summary>Finds the price of <paramref name="model"/>, resolving aliases as the catalog documents.</summary>
    /// <param name="model">Model name as the caller recorded it.</param>
    /// <param name="price">The price when found.</param>
    /// <returns>True when the model has a price.</returns>
    bool TryGetPrice(string model, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ModelPrice? price);
}
