using Analytics.Actors.Budgets;
using Microsoft.Extensions.Configuration;

namespace Analytics.Tests.Budgets;

/// <summary>
/// <c>Analytics:Budgets</c>: <c>Webhook</c> beside the budget names, every other child a budget; each problem named by
/// its key, the allowed values and the value found.
/// </summary>
public sealed class BudgetOptionsSpecs
{
    private static AnalyticsOptions Bind(params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string?>();
        foreach (var (key, value) in settings) values[key] = value; // a later setting wins, as a later configuration source would
        return BudgetsBinding.Bind(new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("Analytics"));
    }

    private static IReadOnlyList<string> Problems(AnalyticsOptions options)
    {
        var result = new AnalyticsOptionsValidator().Validate(null, options);
        return result.Failed ? result.Failures!.ToList() : [];
    }

    [Fact]
    public void Webhook_is_the_url_and_every_other_child_a_budget()
    {
        var options = Bind(
            ("Analytics:Budgets:Webhook", "https://alerts.example.com/budgets"),
            ("Analytics:Budgets:team-alpha:Agent", "alpha"),
            ("Analytics:Budgets:team-alpha:Window", "week"),
            ("Analytics:Budgets:team-alpha:LimitUsd", "12.345678"),
            ("Analytics:Budgets:team-alpha:Thresholds:0", "90"),
            ("Analytics:Budgets:team-alpha:Thresholds:1", "25"),
            ("Analytics:Budgets:openai:Provider", "OpenAI"),
            ("Analytics:Budgets:openai:LimitUsd", "100"),
            ("Analytics:BufferCapacity", "2048"));

        Assert.Empty(Problems(options));
        Assert.Equal("https://alerts.example.com/budgets", options.Budgets.Webhook);
        Assert.Equal(2048, options.BufferCapacity);
        var definitions = options.Budgets.Definitions();
        Assert.Equal(["openai", "team-alpha"], definitions.Select(d => d.Name));
        var openai = definitions[0];
        Assert.Equal((BudgetScope.Provider, "openai", BudgetWindow.Day, 100_000_000L), (openai.Scope, openai.Value, openai.Window, openai.LimitMicros));
        Assert.Equal([50, 80, 100], openai.Thresholds);
        var alpha = definitions[1];
        Assert.Equal((BudgetScope.Agent, "alpha", BudgetWindow.Week, 12_345_678L), (alpha.Scope, alpha.Value, alpha.Window, alpha.LimitMicros));
        Assert.Equal([25, 90], alpha.Thresholds); // sorted: crossings are found in ascending order
    }

    [Fact]
    public void Without_budgets_nothing_is_enabled()
    {
        var options = Bind(("Analytics:Budgets:Webhook", "https://alerts.example.com/budgets"));
        Assert.Empty(Problems(options));
        Assert.False(options.Budgets.Enabled);
    }

    [Theory]
    [InlineData("LimitUsd", "0.0000005", "Analytics:Budgets:b:LimitUsd must be a whole number of microdollars, at most 6 decimal places (got 0.0000005)")]
    [InlineData("LimitUsd", "0", "Analytics:Budgets:b:LimitUsd must be more than 0 and at most 9223372036854.775807 (USD) (got 0)")]
    [InlineData("LimitUsd", "9223372036854.775808", "Analytics:Budgets:b:LimitUsd must be more than 0 and at most 9223372036854.775807 (USD) (got 9223372036854.775808)")]
    [InlineData("Thresholds:1", "1001", "Analytics:Budgets:b:Thresholds:1 must be between 1 and 1000 (got 1001)")]
    [InlineData("Thresholds:1", "50", "Analytics:Budgets:b:Thresholds:1 repeats the threshold 50")]
    [InlineData("Model", "gpt-4o", "Analytics:Budgets:b must set exactly one of Agent, Model or Provider (got Agent and Model)")]
    [InlineData("Window", "fortnight", "Analytics:Budgets:b cannot be read: ")]
    [InlineData("Limit", "5", "Analytics:Budgets:b cannot be read: ")]
    public void A_bad_budget_setting_is_named_with_its_value(string key, string value, string expected)
    {
        var options = Bind(("Analytics:Budgets:b:Agent", "*"), ("Analytics:Budgets:b:LimitUsd", "5"), ("Analytics:Budgets:b:Thresholds:0", "50"),
            ($"Analytics:Budgets:b:{key}", value));

        var problem = Assert.Single(Problems(options));
        Assert.StartsWith(expected, problem);
        if (key is "Window" or "Limit") Assert.Contains(key == "Window" ? "fortnight" : "Limit", problem);
    }

    [Fact]
    public void A_budget_without_scope_or_limit_says_what_is_missing()
    {
        var problems = Problems(Bind(("Analytics:Budgets:b:Window", "day")));
        Assert.Contains("Analytics:Budgets:b must set exactly one of Agent, Model or Provider (* for every request) (got none).", problems);
        Assert.Contains(problems, p => p.StartsWith("Analytics:Budgets:b:LimitUsd must be more than 0", StringComparison.Ordinal));
    }

    [Fact]
    public void Webhook_cannot_be_a_budget_and_a_plain_value_cannot_be_one_either()
    {
        var problems = Problems(Bind(("Analytics:Budgets:Webhook:Agent", "*"), ("Analytics:Budgets:daily", "100")));
        Assert.Contains(problems, p => p.StartsWith("Analytics:Budgets:Webhook must be a URL, not a section", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Analytics:Budgets:daily must be a budget section", StringComparison.Ordinal));

        // In code the dictionary takes any key: the name is refused at start.
        var options = new AnalyticsOptions();
        options.Budgets["webhook"] = new BudgetOptions { Agent = "*", LimitUsd = 1 };
        Assert.Contains(Problems(options), p => p.StartsWith("Analytics:Budgets:webhook cannot be a budget name", StringComparison.Ordinal));
    }

    [Fact]
    public void A_webhook_url_is_checked_and_shown_without_its_credentials()
    {
        var problem = Assert.Single(Problems(Bind(("Analytics:Budgets:Webhook", "ftp://user:s3cret@alerts.example.com/x"))));
        Assert.StartsWith("Analytics:Budgets:Webhook must be unset or an absolute http or https URL", problem);
        Assert.DoesNotContain("s3cret", problem);
        Assert.Empty(Problems(Bind(("Analytics:Budgets:Webhook", "https://user:s3cret@alerts.example.com/x?key=k"))));
    }

    [Fact]
    public void The_host_refuses_to_start_with_a_bad_budget()
    {
        using var host = Analytics.Tests.Sync.SyncTestSupport.BuildHost(new Dictionary<string, string?>
        {
            ["Analytics:Budgets:b:Agent"] = "*",
            ["Analytics:Budgets:b:LimitUsd"] = "0.0000001",
        });
        var e = Assert.ThrowsAny<Exception>(() => host.StartAsync().GetAwaiter().GetResult());
        Assert.Contains("Analytics:Budgets:b:LimitUsd must be a whole number of microdollars", e.Message);
    }

    [Fact]
    public void Clone_copies_budgets_deeply()
    {
        var options = new AnalyticsOptions();
        options.Budgets["b"] = new BudgetOptions { Agent = "a", LimitUsd = 1, Thresholds = [10] };
        var copy = options.Clone();
        copy.Budgets["b"].Thresholds!.Add(20);
        copy.Budgets["c"] = new BudgetOptions();
        Assert.Equal([10], options.Budgets["b"].Thresholds);
        Assert.False(options.Budgets.ContainsKey("c"));
        Assert.True(copy.Budgets.ContainsKey("B")); // names ignore case, as configuration keys do
    }
}
