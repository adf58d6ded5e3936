using Analytics.Actors.Pricing;
using Analytics.Actors.Sync;
using Microsoft.Extensions.Options;

namespace Analytics.Actors;

/// <summary>
/// Checks <see cref="AnalyticsOptions"/> at start. Each failure names the configuration key, the
/// allowed range and the value found, so a bad setting is fixed without reading code.
/// </summary>
public sealed class AnalyticsOptionsValidator : IValidateOptions<AnalyticsOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, AnalyticsOptions options)
    {
        var failures = Collect(options);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Validates and throws <see cref="OptionsValidationException"/> listing every problem.</summary>
    /// <param name="options">The options.</param>
    public static void ThrowIfInvalid(AnalyticsOptions options)
    {
        var failures = Collect(options);
        if (failures.Count > 0) throw new OptionsValidationException(AnalyticsOptions.SectionName, typeof(AnalyticsOptions), failures);
    }

    private static List<string> Collect(AnalyticsOptions o)
    {
        var failures = new List<string>();
        Range(failures, "BufferCapacity", o.BufferCapacity, 16, 16_777_216);
        if (o.IngressShards != 0) Range(failures, "IngressShards", o.IngressShards, 1, 64, "0 (auto) or ");
        Range(failures, "DrainBatchSize", o.DrainBatchSize, 1, 1_000_000);
        Duration(failures, "DrainInterval", o.DrainInterval, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(1));
        Duration(failures, "AskTimeout", o.AskTimeout, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(10));
        PricingOptions.Validate(o.Pricing ?? new PricingOptions(), failures);
        SyncOptions.Validate(o.Sync ?? new SyncOptions(), failures);
        return failures;
    }

    internal static void Range(List<string> failures, string key, long value, long min, long max, string alternatives = "")
    {
        if (value < min || value > max)
            failures.Add($"{AnalyticsOptions.SectionName}:{key} must be {alternatives}between {min} and {max} (got {value}).");
    }

    internal static void Duration(List<string> failures, string key, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
            failures.Add($"{AnalyticsOptions.SectionName}:{key} must be between {min:c} and {max:c} (got {value:c}).");
    }
}
