using Analytics.Actors.Metrics;
using Analytics.Actors.Store;
using Analytics.AspNetCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace Analytics.Actors;

/// <summary>
/// The usage analytics as an HTTP service in an ASP.NET Core app (package <c>LlmUsageAnalytics.AspNetCore</c>):
/// <code>
/// builder.Services.AddUsageAnalytics(builder.Configuration);
/// builder.Services.AddAkka("usage", akka => akka.WithUsageAnalytics());
/// builder.Services.AddUsageAnalyticsEndpoints();
/// var app = builder.Build();
/// app.MapUsageAnalytics();
/// </code>
/// </summary>
public static class UsageAnalyticsEndpoints
{
    /// <summary>
    /// Registers what <see cref="MapUsageAnalytics"/> serves: the ingest and stats handlers (configured by
    /// <c>Analytics:Ingest</c>), the <c>usage-analytics</c> health check, and an OpenTelemetry meter provider that exports
    /// the <c>Analytics.Usage</c> meter in Prometheus text. Logs a warning at start when no API key is configured (ingest
    /// and stats then answer loopback clients only). Needs <c>services.AddUsageAnalytics(configuration)</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddUsageAnalyticsEndpoints(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(sp => new UsageAnalyticsService(sp.GetRequiredService<IOptions<AnalyticsOptions>>().Value, sp.GetRequiredService<UsageRecorder>(),
            sp.GetRequiredService<StoreRuntime>(), sp.GetRequiredService<IUsageStore>(), sp.GetRequiredService<IUsageStats>(), sp.GetRequiredService<SyncStatus>(),
            sp.GetRequiredService<IBudgetStatus>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IClusterUsageStats>()));
        services.AddHostedService<KeyWarning>();
        services.AddHealthChecks().AddUsageAnalytics();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(UsageInstruments.MeterName).AddPrometheusExporter());
        return services;
    }

    /// <summary>
    /// Maps the service's endpoints: <c>POST /v1/events</c> (ingest, JSON Lines or a JSON array of usage-log events;
    /// 202, 400, 401, 413, 415, 503), <c>GET /v1/stats[?since=T&amp;until=T&amp;by=hour|day]</c> (the <c>stats</c>
    /// command's report plus live counters; <c>?scope=cluster[&amp;consistency=local|majority|all]</c> for the merged view of
    /// every node, with <c>LlmUsageAnalytics.Cluster</c>), <c>GET /metrics</c> (Prometheus), <c>GET /health/live</c> and
    /// <c>GET /health/ready</c> (JSON), and <c>GET /</c> (the dashboard). Ingest and stats need an API key
    /// (<c>Analytics:Ingest:ApiKeys</c>) or, without one configured, a loopback client; the other endpoints are open:
    /// add conventions to the returned group (<c>RequireAuthorization</c>, ...) to protect them.
    /// </summary>
    /// <param name="endpoints">The app.</param>
    /// <returns>The group of the mapped endpoints.</returns>
    /// <exception cref="InvalidOperationException"><see cref="AddUsageAnalyticsEndpoints"/> was not called.</exception>
    public static RouteGroupBuilder MapUsageAnalytics(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        // Checked without creating the service: its options are validated when the host starts, where a bad one belongs.
        if (endpoints.ServiceProvider.GetService<IServiceProviderIsService>() is { } registry && !registry.IsService(typeof(UsageAnalyticsService)))
        {
            throw new InvalidOperationException("The usage analytics endpoints are not registered: call services.AddUsageAnalyticsEndpoints() " +
                                                "(after services.AddUsageAnalytics(configuration)) before building the app.");
        }
        var group = endpoints.MapGroup("");
        group.MapPost("/v1/events", (HttpContext c) => c.RequestServices.GetRequiredService<UsageAnalyticsService>().IngestAsync(c));
        group.MapGet("/v1/stats", (HttpContext c) => c.RequestServices.GetRequiredService<UsageAnalyticsService>().StatsAsync(c));
        group.MapGet("/v1/budgets", (HttpContext c) => c.RequestServices.GetRequiredService<UsageAnalyticsService>().BudgetsAsync(c));
        group.MapPrometheusScrapingEndpoint("/metrics");
        group.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = r => r.Tags.Contains("live"), ResponseWriter = HealthJson.WriteAsync });
        group.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = r => r.Tags.Contains("ready"), ResponseWriter = HealthJson.WriteAsync });
        group.MapGet("/", DashboardPage.WriteAsync);
        return group;
    }

    /// <summary>The start-up warning of a service that serves loopback clients only.</summary>
    private sealed class KeyWarning(IOptions<AnalyticsOptions> options, ILogger<UsageAnalyticsService> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (!options.Value.Ingest.RequiresKey)
            {
                logger.LogWarning("{Key} is empty: POST /v1/events and GET /v1/stats answer loopback clients only (127.0.0.0/8, ::1). " +
                                  "Set a key to serve other hosts.", $"{AnalyticsOptions.SectionName}:Ingest:ApiKeys");
            }
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
