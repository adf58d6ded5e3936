using System.Text.Json;
using Analytics.Host;
using Analytics.Host.Replay;
using Analytics.Host.Stats;
using Analytics.Tests.Store;
using Analytics.Tests.Sync;
using SyncCmd = Analytics.Host.SyncCommand.SyncCommand;

namespace Analytics.Tests.Host;

/// <summary>The three commands over one ledger, in process: replay stores, stats reads the window, sync delivers the rest.</summary>
public sealed class StoreCommandSpecs : IAsyncLifetime
{
    private StoreTestBed _bed = null!;

    public async Task InitializeAsync() => _bed = await StoreTestBed.StartAsync();

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    private Protocol012TestServer Server => _bed.Server;

    private string Dir => _bed.Dir;

    private string Ledger => _bed.Ledger;

    private Dictionary<string, string?> Settings(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?> { ["Analytics:Store:Path"] = Ledger };
        foreach (var (key, value) in extra) settings[key] = value;
        return settings;
    }

    private static async Task<(int Code, string Out, string Err)> Run(string[] args, Dictionary<string, string?> settings)
    {
        var command = CommandLine.Parse(args, out var error) ?? throw new InvalidOperationException(error);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = command.Command switch
        {
            "stats" => await StatsCommand.RunAsync(command, stdout, stderr, settings),
            "sync" => await SyncCmd.RunAsync(command, stdout, stderr, settings),
            _ => await ReplayCommand.RunAsync(command, stdout, stderr, settings),
        };
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>A log of <paramref name="n"/> completed requests, durations spread over 100 ms..5 s, three in four with a TTFT.</summary>
    private string Log(int n, long startMs, long stepMs)
    {
        var path = Path.Combine(Dir, $"usage-{n}.jsonl");
        File.WriteAllLines(path, Enumerable.Range(0, n).Select(i =>
            $$"""{"event_type":"llm_request_completed","event_id":"log-{{i}}","timestamp_ms":{{startMs + i * stepMs}},"model":"{{(i % 2 == 0 ? "gpt-4o" : "gpt-4o-mini")}}","agent_id":"agent-{{i % 3}}","input_tokens":{{1000 + i}},"output_tokens":100,"duration_ms":{{100 + i * 37 % 5_000}}{{(i % 4 == 0 ? "" : $",\"time_to_first_token_ms\":{i * 7 % 400}")}}}"""));
        return path;
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    /// <summary>A report row's fields as text, in order.</summary>
    private static string Fields(JsonElement row) => string.Join(", ", row.EnumerateObject().Select(f => $"{f.Name}={f.Value}"));

    [Fact]
    public async Task Replaying_the_same_log_twice_stores_it_once_and_stats_reads_it_back_with_the_replay_report_shape()
    {
        var start = DateTimeOffset.Parse("2026-11-01T00:00:00Z").ToUnixTimeMilliseconds();
        var log = Log(300, start, 15 * 60_000); // every 15 minutes: 300 events over 3 days and 3 hours

        var (code1, out1, _) = await Run(["replay", log, "--format", "json"], Settings());
        var (code2, out2, _) = await Run(["replay", log, "--format", "json"], Settings());
        var (code3, out3, err3) = await Run(["stats", "--format", "json", "--by", "day"], Settings());

        Assert.Equal((0, 0, 0), (code1, code2, code3));
        var first = Json(out1);
        var second = Json(out2);
        Assert.Equal(300, first.GetProperty("store").GetProperty("inserted").GetInt64());
        Assert.Equal(0, first.GetProperty("store").GetProperty("duplicates").GetInt64());
        Assert.Equal(0, first.GetProperty("store").GetProperty("store_dropped").GetInt64());
        Assert.Equal(0, second.GetProperty("store").GetProperty("inserted").GetInt64());
        Assert.Equal(300, second.GetProperty("store").GetProperty("duplicates").GetInt64());

        var stats = Json(out3);
        Assert.True(err3.Length == 0, err3);
        // Counted once, every row field the same, latency percentiles included (the ledger keeps the same sketches).
        Assert.True(stats.GetProperty("totals").TryGetProperty("duration_ms_p50", out _), "the stored history has percentiles");
        Assert.True(stats.GetProperty("by_agent").EnumerateObject().First().Value.TryGetProperty("time_to_first_token_ms_p99", out _), "and per agent");
        Assert.Equal(Fields(first.GetProperty("totals")), Fields(stats.GetProperty("totals")));
        foreach (var breakdown in new[] { "by_model", "by_agent", "by_provider" })
        {
            var live = first.GetProperty(breakdown).EnumerateObject().Select(r => (r.Name, Fields(r.Value))).ToList();
            Assert.Equal(live, stats.GetProperty(breakdown).EnumerateObject().Select(r => (r.Name, Fields(r.Value))).ToList());
        }
        Assert.Equal("2026-11-01T00:00:00Z", stats.GetProperty("since").GetString());
        var buckets = stats.GetProperty("buckets").EnumerateArray().ToList();
        Assert.Equal(["2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z", "2026-11-03T00:00:00Z", "2026-11-04T00:00:00Z"], buckets.Select(b => b.GetProperty("start").GetString()));
        Assert.Equal([96L, 96, 96, 12], buckets.Select(b => b.GetProperty("totals").GetProperty("requests").GetInt64()));
        Assert.Equal(stats.GetProperty("totals").GetProperty("cost_micros").GetInt64(), buckets.Sum(b => b.GetProperty("totals").GetProperty("cost_micros").GetInt64()));
        Assert.True(buckets[0].GetProperty("by_model").TryGetProperty("gpt-4o-mini", out _));
    }

    [Fact]
    public async Task Stats_takes_ISO_dates_and_Unix_milliseconds_and_prints_a_readable_table()
    {
        var start = DateTimeOffset.Parse("2026-11-01T00:00:00Z").ToUnixTimeMilliseconds();
        await Run(["replay", Log(48, start, 3_600_000)], Settings()); // one an hour for two days

        var (_, iso, _) = await Run(["stats", "--since", "2026-11-02", "--until", "2026-11-02T06:00:00Z", "--format", "json"], Settings());
        var (_, unix, _) = await Run(["stats", "--since", (start + 86_400_000).ToString(), "--until", "2026-11-02T06:00:00+00:00", "--format", "json"], Settings());
        var (code, table, _) = await Run(["stats", "--by", "hour", "--until", "2026-11-01T03:00:00Z"], Settings());

        Assert.Equal(6, Json(iso).GetProperty("totals").GetProperty("requests").GetInt64());
        Assert.Equal(iso, unix);
        Assert.Equal(0, code);
        Assert.Contains("Totals: 3 requests", table);
        Assert.Contains("2026-11-01T02:00:00Z", table);
        Assert.DoesNotContain("2026-11-01T03:00:00Z ", table);
    }

    [Theory]
    [InlineData("missing.db", "no store at")]
    [InlineData("", "it is off")]
    public async Task Stats_without_a_ledger_is_one_line_and_exit_2_and_creates_nothing(string path, string expected)
    {
        var (code, stdout, stderr) = await Run(["stats"], new() { ["Analytics:Store:Path"] = path.Length == 0 ? "" : Path.Combine(Dir, path) });

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.Contains(expected, stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Empty(Directory.GetFiles(Dir));
    }

    [Fact]
    public async Task Sync_delivers_what_a_replay_left_undelivered_and_exits_0_when_nothing_remains()
    {
        var log = Log(60, DateTimeOffset.Parse("2026-11-01T00:00:00Z").ToUnixTimeMilliseconds(), 1_000);
        var deadLetters = Path.Combine(Dir, "dead.jsonl");
        // The replay's flush gives up at once against a stalled server: everything stays undelivered in the ledger.
        Server.Stall();
        var replaySettings = Settings([.. SyncTestSupport.Config(Server.BaseUrl, deadLetters, ("FlushTimeout", "00:00:00.200")).Select(p => (p.Key, p.Value!))]);
        var (replayCode, replayOut, replayErr) = await Run(["replay", log, "--format", "json"], replaySettings);
        // Undelivered is not delivered, even though the ledger keeps every event for the next sync: exit 3, saying why.
        Assert.Equal(3, replayCode);
        Assert.Contains("60 undelivered", replayErr);
        Assert.Equal(0, Json(replayOut).GetProperty("sync").GetProperty("delivered").GetInt64());

        // Still stalled: sync cannot finish and says so with exit 1.
        var (stuckCode, stuckOut, _) = await Run(["sync", "--format", "json"], replaySettings);
        Assert.Equal(1, stuckCode);
        Assert.Equal(60, Json(stuckOut).GetProperty("remaining").GetInt64());

        Server.Release();
        var (code, stdout, _) = await Run(["sync", "--format", "json"], Settings([.. SyncTestSupport.Config(Server.BaseUrl, deadLetters).Select(p => (p.Key, p.Value!))]));

        Assert.Equal(0, code);
        var report = Json(stdout);
        Assert.Equal(60, report.GetProperty("delivered").GetInt64());
        Assert.Equal(0, report.GetProperty("rejected").GetInt64());
        Assert.Equal(0, report.GetProperty("undelivered").GetInt64());
        Assert.Equal(0, report.GetProperty("remaining").GetInt64());
        Assert.Equal(60, Server.Stored.Count);
        Assert.Equal(60, Server.Requests.Count(r => r.NewlyStored));
    }

    [Fact]
    public async Task Sync_without_an_endpoint_or_a_ledger_is_exit_2()
    {
        var (noLedger, _, err1) = await Run(["sync"], Settings());
        await Run(["replay", Log(3, 1_000, 1)], Settings());
        var (noEndpoint, _, err2) = await Run(["sync"], Settings());

        Assert.Equal(2, noLedger);
        Assert.Contains("no store at", err1);
        Assert.Equal(2, noEndpoint);
        Assert.Contains("Analytics:Sync:Endpoint", err2);
    }
}
