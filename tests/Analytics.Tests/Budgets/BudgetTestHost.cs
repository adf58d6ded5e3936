using Akka.Hosting;
using Analytics.Actors.Budgets;
using Analytics.Tests.Sync;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Analytics.Tests.Budgets;

/// <summary>A generic host wired like the product, with budgets, a clock of the spec's choosing and captured logs.</summary>
internal static class BudgetTestHost
{
    public static IHost Build(IDictionary<string, string?> settings, TimeProvider? time = null, LogCapture? logs = null, Action<AnalyticsOptions>? configure = null,
        Action<IServiceCollection>? services = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);
        if (logs is not null) builder.Logging.AddProvider(logs);
        if (time is not null) builder.Services.AddSingleton(time);
        builder.Services.AddUsageAnalytics(builder.Configuration);
        services?.Invoke(builder.Services);
        builder.Services.AddAkka("budget-spec", akka =>
        {
            if (configure is null) akka.WithUsageAnalytics();
            else akka.WithUsageAnalytics(configure);
        });
        return builder.Build();
    }

    /// <summary>Records a completed request with a known id, timestamp and cost, waiting for room like a replay.</summary>
    public static void Record(UsageRecorder recorder, string id, long timestampMs, long costMicros, string? agent, string model = "gpt-4o")
    {
        var spin = new SpinWait();
        while (!recorder.TryRecordCompleted(model, new TokenUsage(10, 5), new RequestAttribution { AgentId = agent }, costMicros: costMicros,
                   identity: new EventIdentity { EventId = id, TimestampMs = timestampMs }))
            spin.SpinOnce();
    }

    /// <summary>
    /// Waits until every request recorded so far is evaluated, then drains the ring (so the threshold events reach the
    /// subscription) and returns the threshold events the subscription received.
    /// </summary>
    public static async Task<List<BudgetThresholdReached>> SettleAsync(IHost host, EventSubscription subscription)
    {
        await host.Services.GetRequiredService<BudgetRuntime>().Current!.WhenEvaluatedAsync();
        await host.Services.GetRequiredService<IUsageStats>().GetAsync();
        var events = new List<BudgetThresholdReached>();
        while (subscription.Reader.TryRead(out var e))
        {
            if (e is BudgetThresholdReached b) events.Add(b);
        }
        return events;
    }
}
