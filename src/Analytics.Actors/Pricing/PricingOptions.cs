namespace Analytics.Actors.Pricing;

/// <summary>Price settings, bound from <c>Analytics:Pricing</c>.</summary>
public sealed class PricingOptions
{
    /// <summary>A copy, so a caller's tweaks never reach a shared instance.</summary>
    /// <returns>The copy.</returns>
    internal PricingOptions Clone() => (PricingOptions)MemberwiseClone();

    /// <summary>Checks the pricing settings; adds one message per problem, naming the key.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="failures">Where problems are collected.</param>
    internal static void Validate(PricingOptions options, List<string> failures)
    {
        _ = options;
        _ = failures;
    }
}
