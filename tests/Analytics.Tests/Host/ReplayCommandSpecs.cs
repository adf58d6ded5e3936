using System.Text.Json;
using Analytics.Actors;
using Analytics.Host;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Analytics.Host.Replay;
using Analytics.Tests.Store;

namespace Analytics.Tests.Host;

/// <summary>The replay command end to end, in process, through the same host the CLI builds.</summary>
public sealed class ReplayCommandSpecs : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("replay-spec-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteLog(params string[] lines)
    {
        var path = Path.Combine(_dir, "usage.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }

    internal static async Task<(int Code, string Out, string Err)> RunAsync(string[] args, IDictionary<string, string?>? overrides = null)
    {
        var command = CommandLine.Parse(args, out var error) ?? throw new InvalidOperationException(error);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await ReplayCommand.RunAsync(command, stdout, stderr, StoreTestSupport.WithoutStore(overrides));
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task A_small_log_with_malformed_lines_reports_known_totals_and_the_skipped_lines()
    {
        var path = WriteLog(
            """{"event_type":"llm_request_completed","model":"gpt-4o","agent_id":"a1","input_tokens":1000,"output_tokens":500}""",
            """{"event_type":"llm_request_completed","model":"gpt-4o","input_tokens":2000,"output_tokens":0,"cache_read_input_tokens":1000}""",
            "this is not json",
            """{"event_type":"llm_request_failed","model":"claude-3-5-haiku-20241022","agent_id":"a1","error_code":"overloaded"}""",
            """{"event_type":"llm_request_completed","model":"gpt-4o","input_tokens":-1}""",
            "",
            """{"event_type":"llm_request_completed","model":"mystery-model","provider":"Acme","input_tokens":7,"output_tokens":3,"cost_micros":1234}""",
            """{"event_type":"llm_request_completed","input_tokens":7}""");

        var (code, stdout, stderr) = await RunAsync(["replay", path, "--format", "json"]);

        Assert.Equal(0, code);
        Assert.Contains("usage.jsonl:3: skipped: not valid JSON", stderr);
        Assert.Contains("usage.jsonl:5: skipped: input_tokens must be >= 0 (got -1)", stderr);
        Assert.Contains("usage.jsonl:8: skipped: missing model", stderr);

        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal(8, root.GetProperty("lines").GetInt64());
        Assert.Equal(4, root.GetProperty("recorded").GetInt64());
        Assert.Equal(3, root.GetProperty("skipped_lines").GetInt64());
        Assert.Equal(0, root.GetProperty("dropped").GetInt64());

        var totals = root.GetProperty("totals");
        Assert.Equal(4, totals.GetProperty("requests").GetInt64());
        Assert.Equal(1, totals.GetProperty("failed").GetInt64());
        Assert.Equal(3_007, totals.GetProperty("input_tokens").GetInt64());
        Assert.Equal(503, totals.GetProperty("output_tokens").GetInt64());
        Assert.Equal(1_000, totals.GetProperty("cache_read_input_tokens").GetInt64());
        // gpt-4o: 1000*2.5 + 500*10 = 7,500; then 1000 uncached*2.5 + 1000 cached*1.25 = 3,750; mystery: caller's 1,234.
        Assert.Equal(12_484, totals.GetProperty("cost_micros").GetInt64());

        var models = root.GetProperty("by_model");
        Assert.Equal(11_250, models.GetProperty("gpt-4o").GetProperty("cost_micros").GetInt64());
        Assert.Equal(2, models.GetProperty("gpt-4o").GetProperty("requests").GetInt64());
        Assert.Equal(1, models.GetProperty("claude-3-5-haiku-20241022").GetProperty("failed").GetInt64());
        var providers = root.GetProperty("by_provider");
        Assert.Equal(2, providers.GetProperty("openai").GetProperty("requests").GetInt64());
        Assert.Equal(1, providers.GetProperty("anthropic").GetProperty("requests").GetInt64());
        Assert.Equal(1_234, providers.GetProperty("acme").GetProperty("cost_micros").GetInt64());
        var agents = root.GetProperty("by_agent");
        Assert.Single(agents.EnumerateObject());
        Assert.Equal(2, agents.GetProperty("a1").GetProperty("requests").GetInt64());
        foreach (var field in new[] { "requests", "failed", "input_tokens", "output_tokens", "cache_read_input_tokens",
                     "cache_creation_input_tokens", "reasoning_tokens", "cost_micros", "unpriced_requests" })
        {
            Assert.True(totals.TryGetProperty(field, out _), $"totals lacks {field}");
        }
    }

    [Fact]
    public async Task A_ring_much_smaller_than_the_log_still_loses_nothing()
    {
        var lines = new string[3_000];
        for (var i = 0; i < lines.Length; i++)
            lines[i] = $$"""{"event_type":"llm_request_completed","model":"gpt-4o-mini","input_tokens":{{i}},"output_tokens":1}""";
        var path = WriteLog(lines);

        var (code, stdout, _) = await RunAsync(["replay", path, "--format", "json", "--Analytics:BufferCapacity=16"]);

        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(3_000, doc.RootElement.GetProperty("totals").GetProperty("requests").GetInt64());
        Assert.Equal(2_999L * 3_000 / 2, doc.RootElement.GetProperty("totals").GetProperty("input_tokens").GetInt64());
        Assert.Equal(0, doc.RootElement.GetProperty("dropped").GetInt64());
    }

    [Fact]
    public async Task The_table_lists_totals_then_models_by_cost_then_providers_and_agents()
    {
        var path = WriteLog(
            """{"event_type":"llm_request_completed","model":"gpt-4o-mini","agent_id":"cheap","input_tokens":1000,"output_tokens":10}""",
            """{"event_type":"llm_request_completed","model":"gpt-4o","agent_id":"dear","input_tokens":1000,"output_tokens":1000}""");

        var (code, stdout, _) = await RunAsync(["replay", path]);

        Assert.Equal(0, code);
        var totals = stdout.IndexOf("Totals: 2 requests", StringComparison.Ordinal);
        var dear = stdout.IndexOf("gpt-4o ", StringComparison.Ordinal);
        var cheap = stdout.IndexOf("gpt-4o-mini", StringComparison.Ordinal);
        var provider = stdout.IndexOf("Provider", StringComparison.Ordinal);
        var agent = stdout.IndexOf("Agent", StringComparison.Ordinal);
        Assert.True(totals >= 0 && totals < dear && dear < cheap && cheap < provider && provider < agent, stdout);
    }

    [Fact]
    public async Task A_missing_file_is_a_one_line_error_and_exit_code_2()
    {
        var (code, stdout, stderr) = await RunAsync(["replay", Path.Combine(_dir, "nope.jsonl")]);
        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains("not found", stderr);
    }

    [Fact]
    public async Task A_bad_configuration_value_fails_start_naming_the_key_with_exit_code_2()
    {
        var path = WriteLog("""{"event_type":"llm_request_failed","model":"m"}""");
        var (code, _, stderr) = await RunAsync(["replay", path], new Dictionary<string, string?> { ["Analytics:BufferCapacity"] = "0" });
        Assert.Equal(2, code);
        Assert.Contains("Analytics:BufferCapacity must be between 16 and 16777216 (got 0)", stderr);
        Assert.Single(stderr.Trim().Split('\n')); // one line, not the host's stack trace as well
    }

    [Fact]
    public async Task A_misspelt_configuration_key_fails_start_instead_of_being_ignored()
    {
        var path = WriteLog("""{"event_type":"llm_request_failed","model":"m"}""");
        var (code, _, stderr) = await RunAsync(["replay", path], new Dictionary<string, string?> { ["Analytics:BufferCapasity"] = "100" });
        Assert.Equal(2, code);
        Assert.Contains("BufferCapasity", stderr);
    }

    [Fact]
    public void Replay_waits_up_to_five_minutes_for_the_sync_flush_unless_a_setting_says_otherwise()
    {
        using (var host = AnalyticsHost.Build(null, [], defaults: ReplayCommand.ReplayDefaults))
        {
            var options = host.Services.GetRequiredService<IOptions<AnalyticsOptions>>().Value;
            Assert.Equal(TimeSpan.FromMinutes(5), options.Sync.FlushTimeout);
        }
        using (var host = AnalyticsHost.Build(null, ["--Analytics:Sync:FlushTimeout=00:00:03"], defaults: ReplayCommand.ReplayDefaults))
        {
            var options = host.Services.GetRequiredService<IOptions<AnalyticsOptions>>().Value;
            Assert.Equal(TimeSpan.FromSeconds(3), options.Sync.FlushTimeout);
        }
        using (var host = AnalyticsHost.Build(null, []))
        {
            Assert.Equal(TimeSpan.FromSeconds(10), host.Services.GetRequiredService<IOptions<AnalyticsOptions>>().Value.Sync.FlushTimeout);
        }
    }

    [Fact]
    public async Task A_configuration_error_reported_only_in_an_inner_exception_still_names_the_key()
    {
        var path = WriteLog("""{"event_type":"llm_request_failed","model":"m"}""");
        var (code, _, stderr) = await RunAsync(["replay", path], new Dictionary<string, string?> { ["Analytics:Pricing:Overrides:acme:Inptu"] = "5" });
        Assert.Equal(2, code);
        Assert.Contains("Inptu", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }
}
