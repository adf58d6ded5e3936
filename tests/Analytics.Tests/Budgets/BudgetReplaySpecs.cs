using System.Globalization;
using System.Text.Json;
using Analytics.Host;
using Analytics.Host.Replay;
using Analytics.Tests.Store;

namespace Analytics.Tests.Budgets;

/// <summary>The replay report's <c>budgets</c>: one entry per budget and window that saw spend, in time order, judged by the log's own timestamps.</summary>
public sealed class BudgetReplaySpecs : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("budget-replay-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Line(string id, string at, long cost, string? agent) => string.Create(CultureInfo.InvariantCulture,
        $$"""{"event_type":"llm_request_completed","model":"gpt-4o","event_id":"{{id}}","timestamp_ms":{{DateTimeOffset.Parse(at, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds()}},{{(agent is null ? "" : $"\"agent_id\":\"{agent}\",")}}"input_tokens":10,"output_tokens":5,"cost_micros":{{cost}}}""");

    private async Task<(int Code, string Out, string Err)> ReplayAsync(string format, params string[] lines)
    {
        var path = Path.Combine(_dir, "usage.jsonl");
        await File.WriteAllLinesAsync(path, lines);
        var command = CommandLine.Parse(["replay", path, "--format", format], out var error) ?? throw new InvalidOperationException(error);
        var settings = new Dictionary<string, string?>
        {
            ["Analytics:Budgets:alpha:Agent"] = "alpha",
            ["Analytics:Budgets:alpha:LimitUsd"] = "0.001",
            ["Analytics:Budgets:hourly:Model"] = "*",
            ["Analytics:Budgets:hourly:Window"] = "Hour",
            ["Analytics:Budgets:hourly:LimitUsd"] = "0.002",
            ["Analytics:Budgets:hourly:Thresholds:0"] = "100",
        };
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await ReplayCommand.RunAsync(command, stdout, stderr, StoreTestSupport.WithoutStore(settings));
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static readonly string[] Log =
    [
        // Out of order on purpose: the windows are the log's, listed in time order.
        Line("e5", "2026-03-10T09:10:00Z", 2_500, "beta"),
        Line("e1", "2026-03-09T23:30:00Z", 600, "alpha"),
        Line("e2", "2026-03-09T23:59:59.999Z", 500, "alpha"),
        Line("e3", "2026-03-10T00:00:00Z", 400, "alpha"),
        Line("e4", "2026-03-10T09:00:00Z", 100, null),
    ];

    [Fact]
    public async Task The_json_report_lists_each_budget_window_with_its_spend_and_crossings()
    {
        var (code, stdout, stderr) = await ReplayAsync("json", Log);
        Assert.True(code == 0, stderr);

        using var doc = JsonDocument.Parse(stdout);
        var budgets = doc.RootElement.GetProperty("budgets").EnumerateArray()
            .Select(b => (b.GetProperty("name").GetString(), b.GetProperty("window_start").GetString(), b.GetProperty("spent_micros").GetInt64(),
                b.GetProperty("limit_micros").GetInt64(), string.Join(",", b.GetProperty("thresholds_crossed").EnumerateArray().Select(t => t.GetInt32()))))
            .ToList();
        Assert.Equal(
        [
            ("alpha", "2026-03-09T00:00:00Z", 1_100L, 1_000L, "50,80,100"),
            ("hourly", "2026-03-09T23:00:00Z", 1_100L, 2_000L, ""),
            ("alpha", "2026-03-10T00:00:00Z", 400L, 1_000L, ""),
            ("hourly", "2026-03-10T00:00:00Z", 400L, 2_000L, ""),
            ("hourly", "2026-03-10T09:00:00Z", 2_600L, 2_000L, "100"),
        ], budgets);
        var evaluation = doc.RootElement.GetProperty("budget_evaluation");
        Assert.Equal((5L, 0L, 4L), (evaluation.GetProperty("evaluated").GetInt64(), evaluation.GetProperty("not_evaluated").GetInt64(),
            evaluation.GetProperty("thresholds_crossed").GetInt64()));
    }

    [Fact]
    public async Task The_table_report_has_a_budgets_section()
    {
        var (code, stdout, stderr) = await ReplayAsync("table", Log);
        Assert.True(code == 0, stderr);
        Assert.Contains("Budgets: 5 requests evaluated, 0 not evaluated (queue full), 4 thresholds crossed in this run", stdout);
        Assert.Matches(@"alpha\s+2026-03-09T00:00:00Z\s+0\.001100\s+0\.001000\s+110\.0%\s+50, 80, 100", stdout);
        Assert.Matches(@"hourly\s+2026-03-10T09:00:00Z\s+0\.002600\s+0\.002000\s+130\.0%\s+100", stdout);
    }
}
