using Akka.Hosting;
using Analytics.Actors;

namespace Analytics.ReadmeSample;

/// <summary>The README's "In your own ASP.NET Core app" block, compiled (never run).</summary>
internal static class ServiceSample
{
    public static void Run(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddUsageAnalytics(builder.Configuration);
        builder.Services.AddAkka("my-gateway", akka => akka.WithUsageAnalytics());
        builder.Services.AddUsageAnalyticsEndpoints();   // handlers, health check, OpenTelemetry meter provider with the Prometheus exporter
        var app = builder.Build();
        app.MapUsageAnalytics();                         // POST /v1/events, GET /v1/stats, GET /v1/budgets, /metrics, /health/live, /health/ready, /
        app.Run();
    }
}
