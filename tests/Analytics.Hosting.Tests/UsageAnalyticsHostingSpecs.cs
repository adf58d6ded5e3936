using Akka.Actor;
using Akka.Hosting;
using Analytics.Actors;
using Analytics.Actors.Hosting;
using Analytics.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Analytics.Hosting.Tests;

/// <summary>Registers the analytics exactly as the host does, through Akka.Hosting.TestKit.</summary>
public sealed class UsageAnalyticsHostingSpecs(ITestOutputHelper output) : Akka.Hosting.TestKit.TestKit(output: output)
{
    protected override void ConfigureAppConfiguration(HostBuilderContext context, IConfigurationBuilder builder)
        => builder.AddInMemoryCollection(new Dictionary<string, string?> { ["Analytics:BufferCapacity"] = "256" });

    protected override void ConfigureServices(HostBuilderContext context, IServiceCollection services)
        => services.AddUsageAnalytics(context.Configuration);

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider)
        => builder.WithUsageAnalytics();

    [Fact]
    public async Task The_recorder_comes_from_DI_sized_by_configuration_and_stats_come_from_the_registered_pump()
    {
        var recorder = Host.Services.GetRequiredService<UsageRecorder>();
        Assert.Equal(256, recorder.Capacity);

        Assert.True(recorder.RecordCompleted("gpt-4o-mini", 1_000_000, 0, attribution: new RequestAttribution { AgentId = "agent-1" }));
        Assert.True(recorder.RecordFailed("claude-3-haiku-20240307", attribution: new RequestAttribution { AgentId = "agent-1" }));

        var stats = await Host.Services.GetRequiredService<IUsageStats>().GetAsync(TestContext.Current.CancellationToken);

        Assert.Equal(2, stats.Totals.Requests);
        Assert.Equal(150_000, stats.ByModel["gpt-4o-mini"].CostMicros); // $0.15 per million input tokens
        Assert.Equal(1, stats.ByProvider["anthropic"].Failed);
        Assert.Equal(2, stats.ByAgent["agent-1"].Requests);
        Assert.Null(stats.Sync);
    }

    [Fact]
    public void The_prepended_HOCON_gives_the_flush_phase_room_for_the_longest_flush_timeout()
    {
        // Akka's default for this phase is 5 s; without the prepended HOCON a flush would be cut short.
        var timeout = Sys.Settings.Config.GetTimeSpan("akka.coordinated-shutdown.phases.service-requests-done.timeout");
        Assert.True(timeout > TimeSpan.FromMinutes(5), $"phase timeout is {timeout}");
    }

    [Fact]
    public async Task The_pump_is_found_through_the_registry_not_a_path()
    {
        var pump = await ActorRegistry.GetAsync<IngressPumpActor>(TestContext.Current.CancellationToken);
        var stats = await pump.Ask<UsageStats>(UsageQueries.GetStats.Instance, TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal(0, stats.Totals.Requests);
        Assert.Equal(0, stats.Ingress.Accepted);
    }
}

/// <summary>The <c>Action&lt;AnalyticsOptions&gt;</c> overload adjusts the bound options for the actors.</summary>
public sealed class UsageAnalyticsConfigureOverloadSpecs(ITestOutputHelper output) : Akka.Hosting.TestKit.TestKit(output: output)
{
    protected override void ConfigureServices(HostBuilderContext context, IServiceCollection services)
        => services.AddUsageAnalytics(context.Configuration);

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider)
        => builder.WithUsageAnalytics(o => o.DrainBatchSize = 1);

    [Fact]
    public async Task A_one_event_drain_batch_still_gives_exact_read_your_writes_stats()
    {
        var recorder = Host.Services.GetRequiredService<UsageRecorder>();
        for (var i = 0; i < 500; i++) recorder.RecordCompleted("gpt-4o", 1, 1);

        var stats = await Host.Services.GetRequiredService<IUsageStats>().GetAsync(TestContext.Current.CancellationToken);

        Assert.Equal(500, stats.Totals.Requests);
        Assert.Equal(10_000, recorder.Capacity); // the ring keeps the configured default
    }
}
