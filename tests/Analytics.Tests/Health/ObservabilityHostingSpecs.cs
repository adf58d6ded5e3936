using System.Diagnostics.Metrics;
using Akka.Hosting;
using Analytics.Actors.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;

namespace Analytics.Tests.Health;

/// <summary>Metrics and the health check in a generic host wired as the README shows it.</summary>
public sealed class ObservabilityHostingSpecs
{
    private static IHost Build(params (string Key, string Value)[] settings)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
        builder.Services.AddUsageAnalytics(builder.Configuration);
        builder.Services.AddHealthChecks().AddUsageAnalytics();
        builder.Services.AddAkka("observability-spec", akka => akka.WithUsageAnalytics());
        return builder.Build();
    }

    [Fact]
    public async Task The_host_s_meter_measures_every_request_and_the_check_follows_the_pump()
    {
        using var host = Build();
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        using var tokens = new MetricCollector<long>(factory, UsageInstruments.MeterName, UsageInstruments.TokenUsage);
        var health = host.Services.GetRequiredService<HealthCheckService>();
        var before = await health.CheckHealthAsync();
        await host.StartAsync();
        var recorder = host.Services.GetRequiredService<UsageRecorder>();
        for (var i = 0; i < 10; i++) Assert.True(recorder.RecordCompleted("gpt-4o", 100 + i, 10));

        var stats = await host.Services.GetRequiredService<IUsageStats>().GetAsync();
        await tokens.WaitForMeasurementsAsync(20, TimeSpan.FromSeconds(20));
        var running = await health.CheckHealthAsync();
        var tapsWhileRunning = recorder.Taps.Current.Length;
        var feedsWhileRunning = recorder.MeterFeeds.Current.Length;
        await host.StopAsync();
        var stopped = await health.CheckHealthAsync();

        Assert.Equal(stats.Totals.InputTokens, tokens.GetMeasurementSnapshot().ContainsTags(new KeyValuePair<string, object?>(UsageInstruments.TokenType, "input")).Sum(m => m.Value));
        Assert.Equal(HealthStatus.Unhealthy, before.Entries["usage-analytics"].Status);
        var entry = running.Entries["usage-analytics"];
        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal(["live", "ready"], entry.Tags.Order());
        Assert.Equal(10L, entry.Data["folded"]);
        Assert.Equal(HealthStatus.Unhealthy, stopped.Entries["usage-analytics"].Status);
        // The meter's feed is detached by the shutdown itself, not some time after it; the meter needs no event tap (no
        // event objects are made for it).
        Assert.Equal((0, 1, 0), (tapsWhileRunning, feedsWhileRunning, recorder.MeterFeeds.Current.Length));
    }

    [Fact]
    public async Task Metrics_can_be_switched_off_and_the_thresholds_come_from_configuration()
    {
        using var host = Build(("Analytics:Metrics:Enabled", "false"), ("Analytics:Health:PumpTimeout", "00:00:05"));
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        using var tokens = new MetricCollector<long>(factory, UsageInstruments.MeterName, UsageInstruments.TokenUsage);
        await host.StartAsync();
        var recorder = host.Services.GetRequiredService<UsageRecorder>();
        recorder.RecordCompleted("gpt-4o", 100, 10);

        await host.Services.GetRequiredService<IUsageStats>().GetAsync();
        var taps = recorder.Taps.Current.Length + recorder.MeterFeeds.Current.Length;
        await host.StopAsync();

        Assert.Equal(0, taps);
        Assert.Null(tokens.Instrument);
        Assert.Empty(tokens.GetMeasurementSnapshot());
    }
}
