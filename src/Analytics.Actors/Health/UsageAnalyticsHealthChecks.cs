using Analytics.Actors.Health;
using Analytics.Actors.Hosting;
using Analytics.Actors.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Analytics.Actors;

/// <summary>Registers the usage analytics health check.</summary>
public static class UsageAnalyticsHealthChecks
{
    /// <summary>The check's default name.</summary>
    public const string Name = "usage-analytics";

    /// <summary>The check's default tags: it serves liveness and readiness probes.</summary>
    public static readonly IReadOnlyList<string> DefaultTags = ["live", "ready"];

    /// <summary>
    /// Adds the <c>usage-analytics</c> check (tags <c>live</c> and <c>ready</c>): Unhealthy when the pump is not running;
    /// Degraded, with the reasons under <c>reasons</c> in the result data, when events were dropped within
    /// <c>Analytics:Health:DropWindow</c>, sync was refused with 401, the sync backlog or the store queue is above its
    /// threshold (<c>Analytics:Health:SyncBacklogThreshold</c>, <c>StoreQueueThreshold</c>), or the store cannot write.
    /// Needs <c>services.AddUsageAnalytics(configuration)</c>.
    /// </summary>
    /// <param name="builder">The health checks builder (<c>services.AddHealthChecks()</c>).</param>
    /// <param name="name">The check's name; default <c>usage-analytics</c>.</param>
    /// <param name="tags">The check's tags; default <c>live</c> and <c>ready</c>.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddUsageAnalytics(this IHealthChecksBuilder builder, string name = Name, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        // One instance per host: it remembers when the drop counts last grew.
        builder.Services.TryAddSingleton(sp => new UsageAnalyticsHealthCheck(
            sp.GetService<UsageAnalyticsRuntime>(),
            () => sp.GetService<UsageAnalyticsRuntime>() is null ? null : sp.GetService<UsageRecorder>(),
            sp.GetService<SyncStatus>(),
            sp.GetService<StoreSignalsSource>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<IBudgetStatus>()));
        return builder.Add(new HealthCheckRegistration(name, sp => sp.GetRequiredService<UsageAnalyticsHealthCheck>(), failureStatus: null, tags ?? DefaultTags));
    }
}
