using System.Net;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Analytics.Tests.Service;

/// <summary>
/// The dashboard in a real headless Chromium (Debian's <c>chromium</c> package, driven by Playwright through its
/// <c>ExecutablePath</c>; Playwright never downloads a browser here). After a known log is ingested, the page must show
/// its total cost and top model, load nothing from another origin, and a screenshot is written to the test output.
/// </summary>
public sealed class DashboardBrowserSpecs(ITestOutputHelper output)
{
    /// <summary>Where Debian's package puts the browser.</summary>
    internal const string Chromium = "/usr/bin/chromium";

    internal static readonly string[] LaunchArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
    ];

    [Fact]
    public async Task After_a_known_log_the_page_shows_its_total_cost_and_top_model()
    {
        if (!File.Exists(Chromium))
            Assert.Fail($"Chromium is not installed at {Chromium}: the dashboard spec needs a real browser. Install it with `apt-get install -y chromium` " +
                        "(.ci/run does that before the tests).");

        await using var service = await ServiceHarness.StartAsync();
        // A known log: costs given by the caller, so the expected total does not depend on the price catalog.
        // 1,234,567,890 + 2 x 3,500,000 + 6,000,000 micros = $1,247.567890; one failed request: 4 of 5 succeeded.
        var now = DateTimeOffset.UtcNow;
        long Ago(int days) => now.AddDays(-days).ToUnixTimeMilliseconds();
        string[] log =
        [
            ServiceHarness.Line("d-1", 800_000, 90_000, model: "acme-large", agent: "agent-research", costMicros: 1_234_567_890, timestampMs: Ago(3), durationMs: 2_400),
            ServiceHarness.Line("d-2", 1_000_000, 100_000, model: "gpt-4o", agent: "agent-support", costMicros: 3_500_000, timestampMs: Ago(10)),
            ServiceHarness.Line("d-3", 1_000_000, 100_000, model: "gpt-4o", agent: "agent-support", costMicros: 3_500_000, timestampMs: Ago(0)),
            ServiceHarness.Line("d-4", 1_000_000, 200_000, model: "claude-sonnet-4-5", agent: "agent-research", costMicros: 6_000_000, timestampMs: Ago(20), durationMs: 700),
            $$"""{"event_type":"llm_request_failed","event_id":"d-5","model":"gpt-4o","error_code":"rate_limit","timestamp_ms":{{Ago(1)}}}""",
        ];
        using (var response = await service.PostLinesAsync(log)) Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true, Args = LaunchArgs });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 1330 } });
        var elsewhere = new List<string>();
        var errors = new List<string>();
        page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(service.BaseUrl + "/", StringComparison.Ordinal)) lock (elsewhere) elsewhere.Add(request.Url);
        };
        page.PageError += (_, error) => { lock (errors) errors.Add(error); };
        page.Console += (_, message) =>
        {
            if (message.Type == "error") lock (errors) errors.Add(message.Text);
        };

        await page.GotoAsync(service.BaseUrl + "/");
        var cost = page.Locator("#total-cost");
        await Assertions.Expect(cost).ToHaveTextAsync("$1,247.57", new LocatorAssertionsToHaveTextOptions { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("#models tbody tr").First.Locator("td").First).ToHaveTextAsync("acme-large");
        await Assertions.Expect(page.Locator("#agents tbody tr").First.Locator("td").First).ToHaveTextAsync("agent-research");
        await Assertions.Expect(page.Locator("#total-requests")).ToHaveTextAsync("5");
        await Assertions.Expect(page.Locator("#total-success")).ToHaveTextAsync("80.0 %");
        await Assertions.Expect(page.Locator("#total-tokens")).ToHaveTextAsync("4.3 M");
        // Four days with spend, one bar segment each (the failed request costs nothing).
        await Assertions.Expect(page.Locator("#chart rect")).ToHaveCountAsync(4);
        // p50 and p95 from the stored window: one request of 2.4 s for the top model; 0.7 s and 2.4 s for the top agent
        // (both of its ranks are the lower one, exact); a dash for gpt-4o, none of whose requests carried a duration.
        var topModel = page.Locator("#models tbody tr").First.Locator("td");
        await Assertions.Expect(topModel.Nth(4)).ToHaveTextAsync("2.4 s");
        await Assertions.Expect(topModel.Nth(5)).ToHaveTextAsync("2.4 s");
        await Assertions.Expect(page.Locator("#agents tbody tr").First.Locator("td").Nth(4)).ToHaveTextAsync("700 ms");
        await Assertions.Expect(page.Locator("#models tbody tr").Nth(1).Locator("td").First).ToHaveTextAsync("gpt-4o");
        await Assertions.Expect(page.Locator("#models tbody tr").Nth(1).Locator("td").Nth(4)).ToHaveTextAsync("\u2014");

        // It refreshes by itself: a new event shows up without a reload.
        using (var response = await service.PostLinesAsync([ServiceHarness.Line("d-6", 10, 10, model: "gpt-4o", costMicros: 10_000, timestampMs: Ago(0))]))
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await Assertions.Expect(page.Locator("#total-requests")).ToHaveTextAsync("6", new LocatorAssertionsToHaveTextOptions { Timeout = 15_000 });
        await Assertions.Expect(cost).ToHaveTextAsync("$1,247.58");

        var screenshot = Path.Combine(AppContext.BaseDirectory, "dashboard.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        output.WriteLine($"screenshot: {screenshot}");
        Assert.True(new FileInfo(screenshot).Length > 10_000);
        Assert.Empty(elsewhere);
        Assert.Empty(errors);
    }
}
