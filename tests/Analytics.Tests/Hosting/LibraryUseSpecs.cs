using Akka.Hosting;
using Analytics.Tests.Sync;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Analytics.Tests.Hosting;

/// <summary>What a library user meets when wiring the analytics into a generic host, mistakes included.</summary>
public sealed class LibraryUseSpecs
{
    private static IHost Build(Action<IServiceCollection, IConfiguration> wire, LogCapture? logs = null, Dictionary<string, string?>? settings = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings ?? []);
        if (logs is not null) builder.Logging.AddProvider(logs);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        wire(builder.Services, builder.Configuration);
        return builder.Build();
    }

    private static void Wired(IServiceCollection services, IConfiguration configuration)
    {
        services.AddUsageAnalytics(configuration);
        services.AddAkka("library-use", akka => akka.WithUsageAnalytics());
    }

    [Fact]
    public async Task Forgetting_WithUsageAnalytics_fails_the_start_with_a_message_that_says_so()
    {
        using var host = Build((services, configuration) =>
        {
            services.AddUsageAnalytics(configuration);
            services.AddAkka("library-use", _ => { });
        });

        var e = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.Contains("WithUsageAnalytics()", Flatten(e));
    }

    [Fact]
    public async Task Turning_the_cluster_on_without_registering_it_fails_the_start_saying_what_to_add()
    {
        using var host = Build(Wired, settings: new() { ["Analytics:Cluster:Enabled"] = "true" });

        var e = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.Contains("Analytics:Cluster:Enabled is true, but the cluster is not registered: add the package LlmUsageAnalytics.Cluster and call " +
                        ".WithUsageAnalyticsCluster(serviceProvider)", Flatten(e));
    }

    [Fact]
    public async Task Without_the_cluster_the_cluster_view_refuses_at_once_naming_the_option()
    {
        using var host = Build(Wired);
        await host.StartAsync();
        var cluster = host.Services.GetRequiredService<IClusterUsageStats>();

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => cluster.GetAsync(ClusterReadConsistency.All));

        Assert.False(cluster.Enabled);
        Assert.Null(cluster.Address);
        Assert.Contains("Analytics:Cluster:Enabled is false", e.Message);
        await host.StopAsync();
    }

    [Fact]
    public async Task Stats_come_from_IUsageStats_with_read_your_writes_and_fail_at_once_after_stop()
    {
        // A long Ask timeout: a call that waited for it instead of failing would hang the spec, not pass it.
        using var host = Build(Wired, settings: new() { ["Analytics:AskTimeout"] = "00:05:00" });
        await host.StartAsync();
        var recorder = host.Services.GetRequiredService<UsageRecorder>();
        var stats = host.Services.GetRequiredService<IUsageStats>();
        Assert.True(recorder.RecordCompleted("gpt-4o-mini", 1_000, 100, new RequestAttribution { AgentId = "a" }));
        Assert.True(recorder.RecordFailed("gpt-4o-mini"));

        var live = await stats.GetAsync();
        await host.StopAsync();

        Assert.Equal(2, live.Totals.Requests);
        Assert.Equal(1, live.ByAgent["a"].Requests);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => stats.GetAsync());
        Assert.Contains("stopped", e.Message);
        // Recording after stop is refused and counted, never accepted into a ring nobody drains.
        Assert.False(recorder.RecordCompleted("gpt-4o-mini", 1, 1));
        Assert.True(recorder.IsStopped);
        Assert.Equal(1, recorder.RejectedCount);
        Assert.Equal(2, recorder.AcceptedCount);
    }

    [Fact]
    public async Task Stats_before_the_host_started_say_what_is_missing()
    {
        using var host = Build(Wired);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => host.Services.GetRequiredService<IUsageStats>().GetAsync());
        Assert.Contains("not running", e.Message);
    }

    [Fact]
    public async Task Akka_log_lines_reach_ILogger_under_their_class_without_Akkas_own_prefix()
    {
        var logs = new LogCapture();
        using var host = Build(Wired, logs);
        await host.StartAsync();
        var recorder = host.Services.GetRequiredService<UsageRecorder>();
        recorder.RecordCompleted("acme-unlisted-llm", 10, 10);
        await host.Services.GetRequiredService<IUsageStats>().GetAsync();
        await host.StopAsync();

        var warning = Assert.Single(logs.Entries, e => e.Message.Contains("acme-unlisted-llm has no price", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal("Analytics.Actors.Pump.IngressPumpActor", warning.Category);
        Assert.StartsWith("Model acme-unlisted-llm has no price", warning.Message);
        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains("[WARNING]", StringComparison.Ordinal) || e.Message.Contains("[INFO]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Akka_log_lines_follow_the_Logging_LogLevel_filters()
    {
        var logs = new LogCapture();
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Logging:LogLevel:Analytics"] = "Error" });
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Logging.AddProvider(logs);
        Wired(builder.Services, builder.Configuration);
        using var filtered = builder.Build();
        await filtered.StartAsync();
        filtered.Services.GetRequiredService<UsageRecorder>().RecordCompleted("acme-unlisted-llm", 10, 10);
        await filtered.Services.GetRequiredService<IUsageStats>().GetAsync();
        await filtered.StopAsync();

        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains("has no price", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Category.StartsWith("Akka", StringComparison.Ordinal));
    }

    private static string Flatten(Exception e)
    {
        var text = e.ToString();
        if (e is AggregateException a)
        {
            foreach (var inner in a.InnerExceptions) text += inner.Message;
        }
        return text;
    }
}
