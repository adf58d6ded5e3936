using Analytics.Actors;
using Analytics.Actors.Hosting;
using Analytics.Actors.Sync;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Xunit;

namespace Analytics.Tests.Sync;

public sealed class SyncOptionsSpecs
{
    private static List<string> Problems(SyncOptions o)
    {
        var errors = new OptionErrors(AnalyticsOptions.SectionName);
        SyncOptions.Validate(o, errors.Section("Sync"));
        return [.. errors.Failures];
    }

    private static SyncOptions On() => new() { Endpoint = "https://control.example.com", Token = "t" };

    [Fact]
    public void Defaults_match_the_documented_values()
    {
        var o = new SyncOptions();
        Assert.Equal("", o.Endpoint);
        Assert.Equal(TimeSpan.FromSeconds(30), o.Interval);
        Assert.Equal(10, o.BatchSize);
        Assert.Equal(TimeSpan.FromSeconds(30), o.Timeout);
        Assert.Equal(4, o.Parallelism);
        Assert.Equal(4, o.MaxConcurrentRequestsPerBatch);
        Assert.Equal(TimeSpan.FromMinutes(5), o.RetryBudget);
        Assert.Equal(10_000, o.QueueCapacity);
        Assert.Equal(TimeSpan.FromSeconds(10), o.FlushTimeout);
        Assert.Equal("analytics-dead-letter.jsonl", o.DeadLetterPath);
        Assert.False(o.Enabled);
    }

    [Fact]
    public void Empty_endpoint_is_sync_off_and_nothing_else_is_checked()
    {
        Assert.Empty(Problems(new SyncOptions { Endpoint = "  ", BatchSize = 0, Token = null }));
        Assert.Empty(Problems(On()));
    }

    [Theory]
    [InlineData("not a url", "not a url")]
    [InlineData("control.example.com", "control.example.com")]
    [InlineData("ftp://control.example.com", "ftp://control.example.com")]
    // Credentials and query strings may hold secrets: the message shows where they were, never what they are.
    [InlineData("https://user:pw@control.example.com", "https://***@control.example.com")]
    [InlineData("https://control.example.com/?x=1", "https://control.example.com/?***")]
    public void Malformed_endpoint_names_the_key_and_the_value(string endpoint, string shown)
    {
        var o = On();
        o.Endpoint = endpoint;
        var problem = Assert.Single(Problems(o));
        Assert.Contains("Analytics:Sync:Endpoint", problem);
        Assert.Contains($"'{shown}'", problem);
    }

    [Fact]
    public void Token_is_required_when_an_endpoint_is_set()
    {
        var o = On();
        o.Token = "";
        var problem = Assert.Single(Problems(o));
        Assert.Contains("Analytics:Sync:Token", problem);
    }

    [Fact]
    public void Out_of_range_values_name_key_range_and_value()
    {
        var o = On();
        o.BatchSize = 0;
        o.Parallelism = 257;
        o.Interval = TimeSpan.Zero;
        o.FlushTimeout = TimeSpan.FromMinutes(6);
        o.QueueCapacity = 0;
        var problems = Problems(o);
        Assert.Equal(5, problems.Count);
        Assert.Contains("Analytics:Sync:BatchSize must be between 1 and 10000 (got 0).", problems);
        Assert.Contains("Analytics:Sync:Parallelism must be between 1 and 256 (got 257).", problems);
        Assert.Contains("Analytics:Sync:Interval must be between 00:00:00.0010000 and 01:00:00 (got 00:00:00).", problems);
        Assert.Contains("Analytics:Sync:FlushTimeout must be between 00:00:00.0010000 and 00:05:00 (got 00:06:00).", problems);
        Assert.Contains(problems, p => p.StartsWith("Analytics:Sync:QueueCapacity", StringComparison.Ordinal));
    }

    [Fact]
    public void Timeouts_below_what_Polly_accepts_fail_validation_naming_the_key_instead_of_the_actor_start()
    {
        var o = On();
        o.Timeout = TimeSpan.FromMilliseconds(5);
        o.RetryBudget = TimeSpan.FromMilliseconds(9);
        var problems = Problems(o);
        Assert.Contains("Analytics:Sync:Timeout must be between 00:00:00.0100000 and 00:10:00 (got 00:00:00.0050000).", problems);
        Assert.Contains("Analytics:Sync:RetryBudget must be between 00:00:00.0100000 and 1.00:00:00 (got 00:00:00.0090000).", problems);
    }

    [Fact]
    public void Max_retry_delay_below_retry_delay_is_refused()
    {
        var o = On();
        o.RetryDelay = TimeSpan.FromSeconds(2);
        o.MaxRetryDelay = TimeSpan.FromSeconds(1);
        Assert.Contains("Analytics:Sync:MaxRetryDelay", Assert.Single(Problems(o)));
    }

    [Fact]
    public void The_analytics_validator_refuses_a_malformed_endpoint_at_start()
    {
        var options = new AnalyticsOptions { Sync = { Endpoint = "http//oops", Token = "t" } };
        var e = Assert.Throws<OptionsValidationException>(() => AnalyticsOptionsValidator.ThrowIfInvalid(options));
        Assert.Contains("Analytics:Sync:Endpoint", e.Message);
    }

    [Fact]
    public void ToString_never_shows_the_token()
    {
        var o = On();
        o.Token = "super-secret-token";
        var text = o.ToString();
        Assert.DoesNotContain("super-secret-token", text);
        Assert.Contains("Token=***", text);
        Assert.Contains("Endpoint=https://control.example.com", text);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000", "http://127.0.0.1:5000/api/v1/analytics/events")]
    [InlineData("https://c.example.com/base/", "https://c.example.com/base/api/v1/analytics/events")]
    [InlineData("https://c.example.com/api/v1/analytics/events", "https://c.example.com/api/v1/analytics/events")]
    public void Events_go_to_the_protocol_path_under_the_endpoint(string endpoint, string expected)
        => Assert.Equal(expected, new SyncOptions { Endpoint = endpoint }.EventsUri.ToString());

    [Fact]
    public void Durations_bind_from_the_standard_form_in_environment_variables()
    {
        // A private prefix keeps this process-wide variable away from every other test.
        const string prefix = "SYNCOPTIONSSPEC_";
        Environment.SetEnvironmentVariable(prefix + "Analytics__Sync__Interval", "00:00:01");
        Environment.SetEnvironmentVariable(prefix + "Analytics__Sync__FlushTimeout", "00:00:02.500");
        Environment.SetEnvironmentVariable(prefix + "Analytics__Sync__BatchSize", "25");
        try
        {
            var config = new ConfigurationBuilder().AddEnvironmentVariables(prefix).Build();
            var options = config.GetSection("Analytics").Get<AnalyticsOptions>(o => o.ErrorOnUnknownConfiguration = true)!;
            Assert.Equal(TimeSpan.FromSeconds(1), options.Sync.Interval);
            Assert.Equal(TimeSpan.FromMilliseconds(2500), options.Sync.FlushTimeout);
            Assert.Equal(25, options.Sync.BatchSize);
        }
        finally
        {
            Environment.SetEnvironmentVariable(prefix + "Analytics__Sync__Interval", null);
            Environment.SetEnvironmentVariable(prefix + "Analytics__Sync__FlushTimeout", null);
            Environment.SetEnvironmentVariable(prefix + "Analytics__Sync__BatchSize", null);
        }
    }
}
