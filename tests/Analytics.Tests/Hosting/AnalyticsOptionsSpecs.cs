using Analytics.Actors;
using Analytics.Actors.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Analytics.Tests.Hosting;

public sealed class AnalyticsOptionsSpecs
{
    private static ServiceProvider Build(IConfiguration configuration)
    {
        var services = new ServiceCollection();
        services.AddUsageAnalytics(configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        var o = new AnalyticsOptions();
        Assert.Equal(10_000, o.BufferCapacity);
        Assert.Equal(0, o.IngressShards);
        Assert.Equal(4_096, o.DrainBatchSize);
        Assert.Equal(TimeSpan.FromMilliseconds(100), o.DrainInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(1), o.PollInterval);
        Assert.Equal(50, o.WakeFillPercent);
        Assert.Equal(PumpThreadMode.Dedicated, o.PumpThread);
        Assert.Equal(TimeSpan.FromSeconds(10), o.AskTimeout);
    }

    [Fact]
    public void Environment_variables_with_double_underscores_bind_and_size_the_recorder()
    {
        const string prefix = "ANALYTICS_OPTIONS_SPEC_";
        Environment.SetEnvironmentVariable(prefix + "Analytics__BufferCapacity", "50000");
        Environment.SetEnvironmentVariable(prefix + "Analytics__DrainInterval", "00:00:00.250");
        try
        {
            var configuration = new ConfigurationBuilder().AddEnvironmentVariables(prefix).Build();
            using var sp = Build(configuration);

            var options = sp.GetRequiredService<IOptions<AnalyticsOptions>>().Value;
            Assert.Equal(50_000, options.BufferCapacity);
            Assert.Equal(TimeSpan.FromMilliseconds(250), options.DrainInterval);
            Assert.Equal(50_000, sp.GetRequiredService<UsageRecorder>().Capacity);
            Assert.Same(sp.GetRequiredService<UsageRecorder>(), sp.GetRequiredService<UsageRecorder>());
        }
        finally
        {
            Environment.SetEnvironmentVariable(prefix + "Analytics__BufferCapacity", null);
            Environment.SetEnvironmentVariable(prefix + "Analytics__DrainInterval", null);
        }
    }

    [Fact]
    public void Every_bad_value_is_reported_with_its_key_range_and_value()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Analytics:BufferCapacity"] = "8",
            ["Analytics:IngressShards"] = "100",
            ["Analytics:DrainBatchSize"] = "0",
            ["Analytics:DrainInterval"] = "00:05:00",
            ["Analytics:AskTimeout"] = "00:00:00",
            ["Analytics:PollInterval"] = "00:00:02",
            ["Analytics:WakeFillPercent"] = "0",
            ["Analytics:PumpThread"] = "7",
        }).Build();
        using var sp = Build(configuration);

        var e = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<AnalyticsOptions>>().Value);

        Assert.Contains("Analytics:BufferCapacity must be between 16 and 16777216 (got 8).", e.Failures);
        Assert.Contains("Analytics:IngressShards must be 0 (auto) or between 1 and 64 (got 100).", e.Failures);
        Assert.Contains("Analytics:DrainBatchSize must be between 1 and 1000000 (got 0).", e.Failures);
        Assert.Contains("Analytics:DrainInterval must be between 00:00:00.0010000 and 00:01:00 (got 00:05:00).", e.Failures);
        Assert.Contains("Analytics:AskTimeout must be between 00:00:00.0010000 and 00:10:00 (got 00:00:00).", e.Failures);
        Assert.Contains("Analytics:PollInterval must be between 00:00:00.0010000 and 00:00:01 (got 00:00:02).", e.Failures);
        Assert.Contains("Analytics:WakeFillPercent must be between 1 and 100 (got 0).", e.Failures);
        Assert.Contains("Analytics:PumpThread must be one of Dedicated, ThreadPool (got 7).", e.Failures);
    }

    [Fact]
    public void The_poll_interval_may_not_exceed_the_idle_drain_interval()
    {
        var e = Assert.Throws<OptionsValidationException>(() => AnalyticsOptionsValidator.ThrowIfInvalid(
            new AnalyticsOptions { PollInterval = TimeSpan.FromMilliseconds(50), DrainInterval = TimeSpan.FromMilliseconds(20) }));
        Assert.Contains("Analytics:PollInterval must be <= Analytics:DrainInterval (00:00:00.0200000) (got 00:00:00.0500000).", e.Failures);
    }

    [Fact]
    public void The_pump_thread_binds_by_name_and_a_wrong_name_names_the_key()
    {
        using var good = Build(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Analytics:PumpThread"] = "ThreadPool" }).Build());
        Assert.Equal(PumpThreadMode.ThreadPool, good.GetRequiredService<IOptions<AnalyticsOptions>>().Value.PumpThread);

        using var bad = Build(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Analytics:PumpThread"] = "Pinned" }).Build());
        var e = Assert.Throws<InvalidOperationException>(() => bad.GetRequiredService<IOptions<AnalyticsOptions>>().Value);
        Assert.Contains("Analytics:PumpThread", e.Message);
        Assert.Contains("Pinned", e.Message);
    }

    [Fact]
    public void Bad_metrics_and_health_settings_name_their_keys()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Analytics:Metrics:MaxAgents"] = "0",
            ["Analytics:Metrics:QueueCapacity"] = "20000000",
            ["Analytics:Health:DropWindow"] = "00:00:00.500",
            ["Analytics:Health:SyncBacklogThreshold"] = "0",
            ["Analytics:Health:StoreQueueThreshold"] = "-1",
            ["Analytics:Health:PumpTimeout"] = "00:02:00",
        }).Build();
        using var sp = Build(configuration);

        var e = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<AnalyticsOptions>>().Value);

        Assert.Contains("Analytics:Metrics:MaxAgents must be between 1 and 10000 (got 0).", e.Failures);
        Assert.Contains("Analytics:Metrics:QueueCapacity must be between 1 and 10000000 (got 20000000).", e.Failures);
        Assert.Contains("Analytics:Health:DropWindow must be between 00:00:01 and 1.00:00:00 (got 00:00:00.5000000).", e.Failures);
        Assert.Contains("Analytics:Health:SyncBacklogThreshold must be between 1 and 100000000 (got 0).", e.Failures);
        Assert.Contains("Analytics:Health:StoreQueueThreshold must be between 1 and 100000000 (got -1).", e.Failures);
        Assert.Contains("Analytics:Health:PumpTimeout must be between 00:00:00.0100000 and 00:01:00 (got 00:02:00).", e.Failures);
        Assert.Equal(6, e.Failures.Count());
    }

    [Fact]
    public void The_cluster_section_binds_and_bad_cluster_settings_name_their_keys()
    {
        using (var ok = Build(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
               {
                   ["Analytics:Cluster:Enabled"] = "true", ["Analytics:Cluster:Port"] = "4053", ["Analytics:Cluster:Seeds:0"] = "akka.tcp://analytics@10.0.0.5:4053",
                   ["Analytics:Cluster:Role"] = "gateway", ["Analytics:Cluster:PublishInterval"] = "00:00:02",
               }).Build()))
        {
            var cluster = ok.GetRequiredService<IOptions<AnalyticsOptions>>().Value.Cluster;
            Assert.True(cluster.Enabled);
            Assert.Equal(("127.0.0.1", 4053, "gateway", TimeSpan.FromSeconds(2)), (cluster.Hostname, cluster.Port, cluster.Role, cluster.PublishInterval));
            Assert.Equal(["akka.tcp://analytics@10.0.0.5:4053"], cluster.Seeds);
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Analytics:Cluster:Hostname"] = " ",
            ["Analytics:Cluster:Port"] = "70000",
            ["Analytics:Cluster:Seeds:0"] = "http://10.0.0.5:4053",
            ["Analytics:Cluster:Seeds:1"] = "akka.tcp://analytics@10.0.0.5",
            ["Analytics:Cluster:PublishInterval"] = "00:00:00",
            ["Analytics:Cluster:Role"] = "two words",
            ["Analytics:Cluster:MaxKeysPerDimension"] = "0",
            ["Analytics:Cluster:FinalPublishTimeout"] = "00:20:00",
        }).Build();
        using var sp = Build(configuration);

        var e = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<AnalyticsOptions>>().Value);

        Assert.Contains("Analytics:Cluster:Hostname must be a host name or an IP address (got an empty value).", e.Failures);
        Assert.Contains("Analytics:Cluster:Port must be 0 (any free port) or between 0 and 65535 (got 70000).", e.Failures);
        Assert.Contains("Analytics:Cluster:Seeds:0 must be akka.tcp://<actor system name>@host:port (got 'http://10.0.0.5:4053').", e.Failures);
        Assert.Contains("Analytics:Cluster:Seeds:1 must be akka.tcp://<actor system name>@host:port (got 'akka.tcp://analytics@10.0.0.5').", e.Failures);
        Assert.Contains("Analytics:Cluster:PublishInterval must be between 00:00:00.0100000 and 01:00:00 (got 00:00:00).", e.Failures);
        Assert.Contains("Analytics:Cluster:Role must be a name without spaces, or left out for every node (got 'two words').", e.Failures);
        Assert.Contains("Analytics:Cluster:MaxKeysPerDimension must be between 1 and 10000 (got 0).", e.Failures);
        Assert.Contains("Analytics:Cluster:FinalPublishTimeout must be between 00:00:00.1000000 and 00:10:00 (got 00:20:00).", e.Failures);
        Assert.Equal(8, e.Failures.Count());
    }

    [Fact]
    public void A_value_of_the_wrong_type_names_the_key()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Analytics:BufferCapacity"] = "lots",
        }).Build();
        using var sp = Build(configuration);

        var e = Assert.Throws<InvalidOperationException>(() => sp.GetRequiredService<IOptions<AnalyticsOptions>>().Value);
        Assert.Contains("Analytics:BufferCapacity", e.Message);
    }

    [Fact]
    public void An_unknown_key_is_an_error_not_a_silent_default()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Analytics:BufferSize"] = "100",
        }).Build();
        using var sp = Build(configuration);

        var e = Assert.Throws<InvalidOperationException>(() => sp.GetRequiredService<IOptions<AnalyticsOptions>>().Value);
        Assert.Contains("BufferSize", e.Message);
    }

    [Fact]
    public void Validation_of_good_options_passes()
    {
        AnalyticsOptionsValidator.ThrowIfInvalid(new AnalyticsOptions { BufferCapacity = 16, IngressShards = 64 });
        Assert.True(new AnalyticsOptionsValidator().Validate(null, new AnalyticsOptions()).Succeeded);
    }

    [Fact]
    public void The_commented_sample_in_config_binds_without_error_and_states_the_real_defaults()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Analytics.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(dir.FullName, "config", "analytics.sample.json"), optional: false)
            .Build();
        using var sp = Build(configuration);

        var bound = sp.GetRequiredService<IOptions<AnalyticsOptions>>().Value;
        var defaults = new AnalyticsOptions();
        Assert.Equal(defaults.BufferCapacity, bound.BufferCapacity);
        Assert.Equal(defaults.DrainBatchSize, bound.DrainBatchSize);
        Assert.Equal(defaults.DrainInterval, bound.DrainInterval);
        Assert.Equal(defaults.PollInterval, bound.PollInterval);
        Assert.Equal(defaults.WakeFillPercent, bound.WakeFillPercent);
        Assert.Equal(defaults.PumpThread, bound.PumpThread);
        Assert.Equal(defaults.AskTimeout, bound.AskTimeout);
        Assert.Equal(defaults.Pricing.ReloadDelay, bound.Pricing.ReloadDelay);
        Assert.Equal(defaults.Sync.Interval, bound.Sync.Interval);
        Assert.Equal(defaults.Sync.BatchSize, bound.Sync.BatchSize);
        Assert.Equal(defaults.Sync.RetryBudget, bound.Sync.RetryBudget);
        Assert.Equal(defaults.Sync.FlushTimeout, bound.Sync.FlushTimeout);
        Assert.Equal(defaults.Sync.QueueCapacity, bound.Sync.QueueCapacity);
        Assert.Equal(defaults.Store.Path, bound.Store.Path);
        Assert.Equal(defaults.Store.RetainEvents, bound.Store.RetainEvents);
        Assert.Equal(defaults.Store.BatchSize, bound.Store.BatchSize);
        Assert.Equal(defaults.Store.BatchInterval, bound.Store.BatchInterval);
        Assert.Equal(defaults.Store.QueueCapacity, bound.Store.QueueCapacity);
        Assert.Equal(defaults.Store.FlushTimeout, bound.Store.FlushTimeout);
        Assert.Equal(2, bound.Pricing.Overrides.Count);
        Assert.Equal(defaults.Metrics.Enabled, bound.Metrics.Enabled);
        Assert.Equal(defaults.Metrics.AgentAttribute, bound.Metrics.AgentAttribute);
        Assert.Equal(defaults.Metrics.MaxAgents, bound.Metrics.MaxAgents);
        Assert.Equal(defaults.Metrics.QueueCapacity, bound.Metrics.QueueCapacity);
        Assert.Equal(defaults.Health.DropWindow, bound.Health.DropWindow);
        Assert.Equal(defaults.Health.SyncBacklogThreshold, bound.Health.SyncBacklogThreshold);
        Assert.Equal(defaults.Health.StoreQueueThreshold, bound.Health.StoreQueueThreshold);
        Assert.Equal(defaults.Health.PumpTimeout, bound.Health.PumpTimeout);
        Assert.Empty(bound.Ingest.ApiKeys);
        Assert.Equal(defaults.Ingest.MaxBodyBytes, bound.Ingest.MaxBodyBytes);
        Assert.Equal(defaults.Ingest.RoomWait, bound.Ingest.RoomWait);
        Assert.Equal(defaults.Ingest.RetryAfterSeconds, bound.Ingest.RetryAfterSeconds);
        // The two example budgets, through the same binding as the host (Webhook beside their names stays commented out).
        Assert.Equal(["all-daily", "support-bot-monthly"], bound.Budgets.Keys.Order());
        Assert.Equal((BudgetWindow.Month, 1_500m, null), (bound.Budgets["support-bot-monthly"].Window, bound.Budgets["support-bot-monthly"].LimitUsd,
            bound.Budgets["support-bot-monthly"].Thresholds));
        Assert.Null(bound.Budgets.Webhook);
    }

    [Fact]
    public void A_bad_api_key_is_named_by_its_position_and_never_shown()
    {
        const string shortKey = "short-secret", spaced = "a key with spaces 0123";
        var options = new AnalyticsOptions();
        options.Ingest.ApiKeys = ["good-key-0123456789", shortKey, spaced, new string('k', 257)];
        var e = Assert.Throws<OptionsValidationException>(() => AnalyticsOptionsValidator.ThrowIfInvalid(options));
        Assert.Contains("Analytics:Ingest:ApiKeys:1 must be 16 to 256 characters long (got 12; the value is not shown).", e.Failures);
        Assert.Contains("Analytics:Ingest:ApiKeys:2 must hold printable ASCII characters only, without spaces (the value is not shown).", e.Failures);
        Assert.Contains("Analytics:Ingest:ApiKeys:3 must be 16 to 256 characters long (got 257; the value is not shown).", e.Failures);
        Assert.Equal(3, e.Failures.Count());
        Assert.DoesNotContain(shortKey, e.Message);
        Assert.DoesNotContain(spaced, e.Message);
        Assert.DoesNotContain("good-key", options.Ingest.ToString());
    }

    [Fact]
    public void Api_keys_bind_as_a_list_from_configuration_and_environment_style_keys()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Analytics:Ingest:ApiKeys:0"] = "first-key-0123456789", ["Analytics:Ingest:ApiKeys:1"] = "second-key-0123456789", ["Analytics:Ingest:MaxBodyBytes"] = "2048",
        }).Build();
        using var sp = Build(configuration);
        var bound = sp.GetRequiredService<IOptions<AnalyticsOptions>>().Value;
        Assert.Equal(["first-key-0123456789", "second-key-0123456789"], bound.Ingest.ApiKeys);
        Assert.Equal(2048, bound.Ingest.MaxBodyBytes);
    }
}
