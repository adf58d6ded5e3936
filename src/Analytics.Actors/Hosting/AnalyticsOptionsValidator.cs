using System.Globalization;
using Microsoft.Extensions.Options;

namespace Analytics.Actors.Hosting;

/// <summary>
/// Checks <see cref="AnalyticsOptions"/> at start. Each failure names the configuration key, the allowed range and the
/// value found (see <see cref="OptionErrors"/>), so a bad setting is fixed without reading code.
/// </summary>
internal sealed class AnalyticsOptionsValidator : IValidateOptions<AnalyticsOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, AnalyticsOptions options)
    {
        var failures = Collect(options);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Validates and throws <see cref="OptionsValidationException"/> listing every problem.</summary>
    public static void ThrowIfInvalid(AnalyticsOptions options)
    {
        var failures = Collect(options);
        if (failures.Count > 0) throw new OptionsValidationException(AnalyticsOptions.SectionName, typeof(AnalyticsOptions), failures);
    }

    private static IReadOnlyList<string> Collect(AnalyticsOptions o)
    {
        var errors = new OptionErrors(AnalyticsOptions.SectionName);
        errors.Range("BufferCapacity", o.BufferCapacity, 16, 16_777_216);
        if (o.IngressShards != 0) errors.Range("IngressShards", o.IngressShards, 1, 64, "0 (auto) or ");
        errors.Range("DrainBatchSize", o.DrainBatchSize, 1, 1_000_000);
        errors.Duration("DrainInterval", o.DrainInterval, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(1));
        errors.Duration("PollInterval", o.PollInterval, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(1));
        if (o.PollInterval > o.DrainInterval)
            errors.Add("PollInterval", string.Create(CultureInfo.InvariantCulture, $"must be <= {AnalyticsOptions.SectionName}:DrainInterval ({o.DrainInterval:c}) (got {o.PollInterval:c})."));
        errors.Range("WakeFillPercent", o.WakeFillPercent, 1, 100);
        errors.Defined("PumpThread", o.PumpThread);
        errors.Duration("AskTimeout", o.AskTimeout, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(10));
        errors.Range("MaxKeysPerBreakdown", o.MaxKeysPerBreakdown, 1, 1_000_000);
        PricingOptions.Validate(o.Pricing ?? new PricingOptions(), errors.Section("Pricing"));
        SyncOptions.Validate(o.Sync ?? new SyncOptions(), errors.Section("Sync"));
        StoreOptions.Validate(o.Store ?? new StoreOptions(), errors.Section("Store"));
        MetricsOptions.Validate(o.Metrics ?? new MetricsOptions(), errors.Section("Metrics"));
        HealthOptions.Validate(o.Health ?? new HealthOptions(), errors.Section("Health"));
        IngestOptions.Validate(o.Ingest ?? new IngestOptions(), errors.Section("Ingest"));
        BudgetsOptions.Validate(o.Budgets ?? new BudgetsOptions(), errors.Section("Budgets"));
        UsageClusterOptions.Validate(o.Cluster ?? new UsageClusterOptions(), errors.Section("Cluster"));
        return errors.Failures;
    }
}
