using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Analytics.Host;
using Analytics.Host.Stats;

namespace Analytics.Tests.Service;

/// <summary>GET /v1/stats, /metrics, /health/* and / against a real Kestrel.</summary>
/// <remarks>
/// Alone, not beside other specs: OpenTelemetry's meter provider listens to every meter named <c>Analytics.Usage</c> in the
/// process, so /metrics of this host would also count the requests of a host another spec runs at the same time.
/// </remarks>
[Collection(AloneCollection.Name)]
public sealed class EndpointSpecs
{
    private static readonly long Day0 = DateTimeOffset.Parse("2026-03-01T00:00:00Z").ToUnixTimeMilliseconds();

    private static IEnumerable<string> ThreeDays() => Enumerable.Range(0, 60).Select(i => ServiceHarness.Line($"w-{i}", 100 + i, model: i % 3 == 0 ? "claude-sonnet-4-5" : "gpt-4o",
        agent: i % 2 == 0 ? "a" : "b", timestampMs: Day0 + i * 3_600_000L));

    [Theory]
    [InlineData("")]
    [InlineData("?since=2026-03-01T05:00:00Z&until=2026-03-02T00:00:00Z")]
    [InlineData("?since=2026-03-01&until=2026-03-04&by=day")]
    [InlineData("?since=1772323200000&until=2026-03-02T12:00:00%2B02:00&by=hour")]
    public async Task Stats_answers_the_stats_commands_report_field_for_field_then_the_live_counters(string query)
    {
        await using var service = await ServiceHarness.StartAsync();
        using (var response = await service.PostLinesAsync(ThreeDays())) Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var served = JsonNode.Parse((await service.StatsAsync(query)).GetRawText())!.AsObject();
        foreach (var live in new[] { "as_of", "ingest", "ingress", "store" }) Assert.True(served.Remove(live), $"no {live} in {served}");

        // The stats command over the same ledger and window (the default window ends now: given explicitly for both).
        var args = new List<string> { "stats", "--format", "json" };
        var parameters = System.Web.HttpUtility.ParseQueryString(query);
        foreach (var name in parameters.AllKeys) args.AddRange([$"--{name}", parameters[name]!]);
        if (parameters["until"] is null)
        {
            args.AddRange(["--until", served["until"]!.GetValue<string>()]);
            if (parameters["since"] is null) args.AddRange(["--since", served["since"]!.GetValue<string>()]);
        }
        var command = CommandLine.Parse([.. args], out var error) ?? throw new InvalidOperationException(error);
        var stdout = new StringWriter();
        var code = await StatsCommand.RunAsync(command, stdout, new StringWriter(), new Dictionary<string, string?> { ["Analytics:Store:Path"] = service.LedgerPath });
        Assert.Equal(0, code);
        Assert.Equal(JsonNode.Parse(stdout.ToString())!.ToJsonString(), served.ToJsonString());
        Assert.True(served["totals"]!["requests"]!.GetValue<long>() > 0);
    }

    [Theory]
    [InlineData("?since=yesterday", "since must be ISO 8601")]
    [InlineData("?by=week", "by must be 'hour' or 'day' (got 'week')")]
    [InlineData("?since=2026-03-02&until=2026-03-01", "since (2026-03-02T00:00:00Z) must be before until (2026-03-01T00:00:00Z)")]
    [InlineData("?from=2026-03-01", "unknown parameter 'from'")]
    [InlineData("?by=day&by=hour", "by is given 2 times")]
    [InlineData("?scope=cluster", "scope=cluster needs the cluster view, which is off on this node (Analytics:Cluster:Enabled is false)")]
    [InlineData("?scope=cluster&consistency=all", "scope=cluster needs the cluster view, which is off on this node")]
    [InlineData("?scope=fleet", "scope must be local or cluster (got 'fleet')")]
    [InlineData("?scope=cluster&consistency=quorum", "consistency must be local, majority or all (got 'quorum')")]
    [InlineData("?consistency=all", "consistency applies to scope=cluster only")]
    [InlineData("?scope=cluster&since=2026-03-01", "scope=cluster takes no since, until or by")]
    public async Task A_bad_window_is_400_naming_the_parameter(string query, string message)
    {
        await using var service = await ServiceHarness.StartAsync();
        using var response = await service.Client.GetAsync("/v1/stats" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, (await ServiceHarness.JsonAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Without_a_store_stats_are_the_live_ones_and_by_is_refused()
    {
        await using var service = await ServiceHarness.StartAsync(store: false);
        using (var response = await service.PostLinesAsync(ThreeDays().Take(10))) Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var stats = await service.StatsAsync();
        Assert.Equal(JsonValueKind.Null, stats.GetProperty("ledger").ValueKind);
        Assert.Equal(10, stats.GetProperty("totals").GetProperty("requests").GetInt64());
        Assert.False(stats.TryGetProperty("store", out _));
        using var by = await service.Client.GetAsync("/v1/stats?by=day");
        Assert.Equal(HttpStatusCode.BadRequest, by.StatusCode);
    }

    [Fact]
    public async Task Metrics_health_and_the_dashboard_are_served()
    {
        await using var service = await ServiceHarness.StartAsync();
        using (var response = await service.PostLinesAsync(ThreeDays().Take(7))) Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var metrics = await service.Client.GetStringAsync("/metrics");
        // The meter reads its own queue off the pump: wait for the seven requests to be measured.
        await SyncTestSupportWait(async () => (metrics = await service.Client.GetStringAsync("/metrics")).Contains("analytics_usage_ingress_accepted_total{otel_scope_name=\"Analytics.Usage\"") &&
                                               RequestsCounted(metrics) == 7);
        Assert.Contains("gen_ai_client_token_usage", metrics);

        foreach (var path in new[] { "/health/live", "/health/ready" })
        {
            using var health = await service.Client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            var body = await ServiceHarness.JsonAsync(health);
            Assert.Equal("Healthy", body.GetProperty("status").GetString());
            var check = body.GetProperty("checks").GetProperty("usage-analytics");
            Assert.Equal(7, check.GetProperty("data").GetProperty("accepted").GetInt64());
        }

        using var page = await service.Client.GetAsync("/");
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("/v1/stats", html);
        // Offline: nothing is loaded from another origin.
        Assert.DoesNotMatch("(src|href)=\"(https?:)?//", html);
        Assert.Contains("default-src 'none'", page.Headers.GetValues("Content-Security-Policy").Single());
    }

    /// <summary>The sum of <c>analytics_usage_requests_total</c> over its series.</summary>
    private static long RequestsCounted(string metrics) => metrics.Split('\n')
        .Where(l => l.StartsWith("analytics_usage_requests_total{", StringComparison.Ordinal))
        .Sum(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));

    private static async Task SyncTestSupportWait(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "not true within 20 s");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Budgets_are_served_with_their_current_windows_and_ride_along_in_the_stats()
    {
        var now = DateTimeOffset.UtcNow;
        await using var service = await ServiceHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Analytics:Budgets:agent-a-daily:Agent"] = "a",
            ["Analytics:Budgets:agent-a-daily:Window"] = "Day",
            ["Analytics:Budgets:agent-a-daily:LimitUsd"] = "0.000100",
            ["Analytics:Budgets:agent-a-daily:Thresholds:0"] = "50",
            ["Analytics:Budgets:agent-a-daily:Thresholds:1"] = "100",
        });
        // 3 requests of agent a at 30 micros each today: 90 of 100 micros, past 50 %, short of 100 %; agent b's do not count.
        var lines = Enumerable.Range(0, 5).Select(i => ServiceHarness.Line($"b-{i}", 10, model: "gpt-4o", agent: i < 3 ? "a" : "b", costMicros: 30,
            timestampMs: now.ToUnixTimeMilliseconds()));
        using (var response = await service.PostLinesAsync(lines)) Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        // The evaluator runs off the pump: its status follows within the staleness the README states.
        JsonElement budget = default;
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var listing = await ServiceHarness.JsonAsync(await service.Client.GetAsync("/v1/budgets"));
            budget = Assert.Single(listing.GetProperty("budgets").EnumerateArray());
            if (budget.GetProperty("spent_micros").GetInt64() == 90) break;
            await Task.Delay(25);
        }
        Assert.Equal("agent-a-daily", budget.GetProperty("name").GetString());
        Assert.Equal(90, budget.GetProperty("spent_micros").GetInt64());
        Assert.Equal(100, budget.GetProperty("limit_micros").GetInt64());
        Assert.Equal([50], budget.GetProperty("thresholds_crossed").EnumerateArray().Select(t => t.GetInt32()));
        Assert.Equal(new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero), DateTimeOffset.Parse(budget.GetProperty("window_start").GetString()!));

        var stats = await service.StatsAsync();
        var inStats = Assert.Single(stats.GetProperty("budgets").EnumerateArray());
        Assert.Equal(90, inStats.GetProperty("spent_micros").GetInt64());
        Assert.Equal(0, stats.GetProperty("budget_not_evaluated").GetInt64());
    }

    [Fact]
    public async Task Without_budgets_the_listing_is_empty_and_the_stats_carry_none()
    {
        await using var service = await ServiceHarness.StartAsync();
        var listing = await ServiceHarness.JsonAsync(await service.Client.GetAsync("/v1/budgets"));
        Assert.False(listing.GetProperty("enabled").GetBoolean());
        Assert.Empty(listing.GetProperty("budgets").EnumerateArray());
        Assert.False((await service.StatsAsync()).TryGetProperty("budgets", out _));
    }
}
