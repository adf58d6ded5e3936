using System.Text;
using System.Text.Json;
using Analytics.Actors.Reporting;
using Analytics.Host;
using Analytics.Host.Replay;
using Analytics.Tests.Sync;
using Microsoft.Extensions.DependencyInjection;

using Analytics.Tests.Store;

namespace Analytics.Tests.Hardening;

/// <summary>
/// The replay command on hostile input and configuration (issue 9, items 3, 4, 5, 8, 9, 10 and 12), in process:
/// it never crashes, delivers the whole log, says what went wrong in one line, and exits with a code that tells the truth.
/// </summary>
public sealed class ReplayHardeningSpecs : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("replay-hardening-").FullName;
    private string DeadLetters => Path.Combine(_dir, "dead-letter.jsonl");
    private Protocol012TestServer _server = null!;

    public async Task InitializeAsync() => _server = await Protocol012TestServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private string WriteLog(params string[] lines) => WriteLog(Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));

    private string WriteLog(byte[] bytes)
    {
        var path = Path.Combine(_dir, $"usage-{Guid.NewGuid():N}.jsonl");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static async Task<(int Code, string Out, string Err)> Replay(string path, IDictionary<string, string?>? overrides = null, params string[] args)
    {
        var command = CommandLine.Parse(["replay", path, "--format", "json", .. args], out var error) ?? throw new InvalidOperationException(error);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await ReplayCommand.RunAsync(command, stdout, stderr, StoreTestSupport.WithoutStore(overrides));
        return (code, stdout.ToString(), stderr.ToString());
    }

    private Dictionary<string, string?> Sync(params (string Key, string Value)[] extra) => SyncTestSupport.Config(_server.BaseUrl, DeadLetters, extra);

    private static string Line(int i, string model = "gpt-4o-mini") =>
        $$"""{"event_type":"llm_request_completed","event_id":"e-{{i}}","model":"{{model}}","input_tokens":{{i}},"output_tokens":1}""";

    private static void AssertOneErrorLine(string stderr, string contains)
    {
        var lines = stderr.Trim().Split('\n');
        Assert.True(lines.Length == 1, stderr);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(contains, lines[0]);
    }

    // ------------------------------------------------------------------ item 3: replay must not outrun the sync queue

    [Fact]
    public async Task Replay_delivers_a_log_many_times_larger_than_the_sync_queue_without_a_single_sync_drop()
    {
        var path = WriteLog([.. Enumerable.Range(1, 2_000).Select(i => Line(i))]);

        var (code, stdout, stderr) = await Replay(path, Sync(("QueueCapacity", "25"), ("BatchSize", "10"), ("Interval", "00:00:00.020"),
            ("Parallelism", "2"), ("MaxConcurrentRequestsPerBatch", "8")));

        Assert.True(code == ExitCodes.Ok, stderr);
        var sync = JsonDocument.Parse(stdout).RootElement.GetProperty("sync");
        Assert.Equal(0, sync.GetProperty("sync_dropped").GetInt64());
        Assert.Equal(2_000, sync.GetProperty("delivered").GetInt64());
        Assert.Equal(2_000, _server.Stored.Count);
    }

    // ------------------------------------------------------------------ item 4: a lone surrogate

    [Fact]
    public async Task A_lone_surrogate_skips_its_line_and_every_other_line_still_reaches_the_server()
    {
        const string hostile = """{"event_type":"llm_request_completed","model":"x\ud800","input_tokens":1,"output_tokens":1}""";
        var path = WriteLog(Line(1), hostile, Line(3));

        var (code, stdout, stderr) = await Replay(path, Sync());

        Assert.True(code == ExitCodes.Ok, stderr);
        Assert.Contains($":2: skipped: model holds an unpaired UTF-16 surrogate (\\ud800) at byte {hostile.IndexOf('\\') + 1}", stderr);
        var report = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal((3L, 2L, 1L), (report.GetProperty("lines").GetInt64(), report.GetProperty("recorded").GetInt64(), report.GetProperty("skipped_lines").GetInt64()));
        Assert.Equal(["e-1", "e-3"], _server.Stored.Keys.Select(k => k.EventId).Order());
    }

    [Fact]
    public async Task A_library_caller_s_lone_surrogate_is_a_counted_dead_lettered_rejection_and_the_report_still_writes()
    {
        using var host = SyncTestSupport.BuildHost(Sync());
        await host.StartAsync();
        var recorder = host.Services.GetRequiredService<UsageRecorder>();
        Assert.True(recorder.RecordCompleted("gpt-4o", 10, 1));
        Assert.True(recorder.RecordCompleted("bad\ud800model", 10, 1)); // the hot path does not scan strings
        Assert.True(recorder.RecordCompleted("gpt-4o", 20, 1));
        var stats = await host.Services.GetRequiredService<IUsageStats>().GetAsync();
        await host.StopAsync();

        var sync = host.Services.GetRequiredService<SyncStatus>().Current!;
        Assert.Equal((2L, 1L, 0L), (sync.Delivered, sync.Rejected, sync.Undelivered));
        var letter = JsonDocument.Parse(Assert.Single(File.ReadAllLines(DeadLetters))).RootElement;
        Assert.Equal("bad\uFFFDmodel", letter.GetProperty("event").GetProperty("model").GetString());
        Assert.Contains("model holds an unpaired UTF-16 surrogate (0xD800) at character 4", letter.GetProperty("reason").GetString());
        // The report of those stats writes (the key shown with U+FFFD) instead of throwing.
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            UsageReportJson.WriteRows(w, "by_model", stats.ByModel);
            w.WriteEndObject();
        }
        var models = JsonDocument.Parse(buffer.ToArray()).RootElement.GetProperty("by_model");
        Assert.Contains("bad\uFFFDmodel", models.EnumerateObject().Select(p => p.Name));
    }

    // ------------------------------------------------------------------ item 5: counts at the ceiling

    [Fact]
    public async Task Counts_and_costs_at_the_ceiling_saturate_instead_of_wrapping_negative()
    {
        var path = WriteLog(
            """{"event_type":"llm_request_completed","model":"gpt-4o","input_tokens":9223372036854775807,"output_tokens":1}""",
            """{"event_type":"llm_request_completed","model":"gpt-4o","input_tokens":5,"output_tokens":1}""",
            """{"event_type":"llm_request_completed","model":"gpt-4o","input_tokens":5,"output_tokens":1,"duration_ms":9223372036854775807}""",
            """{"event_type":"llm_request_completed","model":"gpt-4o","input_tokens":5,"output_tokens":1,"duration_ms":5}""",
            """{"event_type":"llm_request_completed","model":"acme","input_tokens":5,"output_tokens":1}""");

        var (code, stdout, stderr) = await Replay(path, new Dictionary<string, string?>
        {
            ["Analytics:Pricing:Overrides:acme:Input"] = long.MaxValue.ToString(),
            ["Analytics:Pricing:Overrides:acme:Output"] = long.MaxValue.ToString(),
        });

        Assert.True(code == ExitCodes.Ok, stderr);
        var totals = JsonDocument.Parse(stdout).RootElement.GetProperty("totals");
        Assert.Equal(long.MaxValue, totals.GetProperty("input_tokens").GetInt64());
        Assert.Equal(long.MaxValue, totals.GetProperty("total_tokens").GetInt64());
        Assert.Equal(long.MaxValue, totals.GetProperty("cost_micros").GetInt64());
        Assert.Equal(long.MaxValue, totals.GetProperty("duration_ms_sum").GetInt64());
        Assert.True(totals.GetProperty("average_cost_micros_per_request").GetDouble() > 0);
        Assert.True(totals.GetProperty("average_duration_ms").GetDouble() > 0);
        // One acme request of 5 input and 1 output tokens at long.MaxValue micros per million: huge, positive, exact.
        var acme = JsonDocument.Parse(stdout).RootElement.GetProperty("by_model").GetProperty("acme");
        Assert.Equal((long)((Int128)long.MaxValue * 5 / 1_000_000 + (Int128)long.MaxValue / 1_000_000), acme.GetProperty("cost_micros").GetInt64());
    }

    // ------------------------------------------------------------------ item 8: credentials in configuration

    [Fact]
    public async Task An_endpoint_with_credentials_is_a_one_line_error_that_does_not_show_them()
    {
        var path = WriteLog(Line(1));

        var (code, _, stderr) = await Replay(path, Sync(("Endpoint", "https://admin:hunter2@control.example.com/?key=sk-live-123")));

        Assert.Equal(ExitCodes.BadArguments, code);
        AssertOneErrorLine(stderr, "(got 'https://***@control.example.com/?***')");
        Assert.DoesNotContain("hunter2", stderr);
        Assert.DoesNotContain("sk-live-123", stderr);
        Assert.DoesNotContain(SyncTestSupport.Token, stderr);
    }

    // ------------------------------------------------------------------ item 9: an unwritable dead-letter path

    public static TheoryData<string, string> UnwritablePaths()
    {
        var data = new TheoryData<string, string>
        {
            { "a directory", "is a directory" },
            { "/dev/full", "cannot be written" },
            { "under a regular file", "cannot be written" },
        };
        if (Directory.Exists("/sys")) data.Add("/sys/analytics-dead-letter.jsonl", "cannot be written"); // a read-only file system, even for root
        if (!OperatingSystem.IsWindows() && Environment.UserName != "root") data.Add("a read-only folder", "cannot be written");
        return data;
    }

    [Theory]
    [MemberData(nameof(UnwritablePaths))]
    public async Task An_unwritable_dead_letter_path_fails_start_naming_the_key(string kind, string problem)
    {
        var path = kind switch
        {
            "a directory" => Directory.CreateDirectory(Path.Combine(_dir, "dl")).FullName,
            "under a regular file" => Path.Combine(WriteLog(Line(0)), "dead-letter.jsonl"),
            "a read-only folder" => ReadOnlyFolder(),
            _ => kind,
        };

        var (code, stdout, stderr) = await Replay(WriteLog(Line(1)), Sync(("DeadLetterPath", path)));

        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Empty(stdout);
        AssertOneErrorLine(stderr, "Analytics:Sync:DeadLetterPath");
        Assert.Contains(problem, stderr);
        Assert.Equal(0, _server.RequestCount);
    }

    private string ReadOnlyFolder()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "read-only")).FullName;
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        return Path.Combine(folder, "dead-letter.jsonl");
    }

    [Fact]
    public async Task A_writable_dead_letter_path_is_left_as_it_was_by_the_start_check()
    {
        var (code, _, stderr) = await Replay(WriteLog(Line(1)), Sync());

        Assert.True(code == ExitCodes.Ok, stderr);
        Assert.False(File.Exists(DeadLetters)); // nothing to dead-letter, so no file: the check took its probe back
    }

    [Fact]
    public async Task Dead_letters_that_cannot_be_written_at_run_time_are_counted_and_fail_the_exit_code()
    {
        var folder = Path.Combine(_dir, "letters");
        var path = Path.Combine(folder, "dead-letter.jsonl");
        _server.AcceptedProviders.Clear(); // every event is refused: every event is dead-lettered
        _server.Stall();
        var replay = Replay(WriteLog(Line(1), Line(2), Line(3)), Sync(("DeadLetterPath", path)));
        // Start passed the check; now the folder becomes a file, so no dead letter can be written.
        await SyncTestSupport.WaitUntil(() => _server.RequestCount > 0, TimeSpan.FromSeconds(20), "the first request");
        Directory.Delete(folder, recursive: true);
        await File.WriteAllTextAsync(folder, "not a folder");
        _server.Release();

        var (code, stdout, stderr) = await replay;

        Assert.Equal(ExitCodes.NotDelivered, code);
        var sync = JsonDocument.Parse(stdout).RootElement.GetProperty("sync");
        Assert.Equal(3, sync.GetProperty("rejected").GetInt64());
        Assert.Equal(3, sync.GetProperty("dead_letter_write_failures").GetInt64());
        Assert.Contains("3 dead letters could not be written", stderr);
    }

    // ------------------------------------------------------------------ item 10: unreadable input, bad log levels

    [Fact]
    public async Task An_unreadable_log_is_a_one_line_error_with_exit_code_2()
    {
        var unreadable = Unreadable();

        var (code, stdout, stderr) = await Replay(unreadable);

        Assert.Equal(ExitCodes.BadArguments, code);
        AssertOneErrorLine(stderr, $"cannot read usage log '{unreadable}'");
        Assert.Empty(stdout);
    }

    /// <summary>A file this process may not read: mode 000 for a normal user; for root, which reads anything, a write-only procfs file.</summary>
    private string Unreadable()
    {
        if (Environment.UserName != "root" && !OperatingSystem.IsWindows())
        {
            var path = WriteLog(Line(1));
            File.SetUnixFileMode(path, UnixFileMode.None);
            return path;
        }
        const string writeOnly = "/proc/sys/vm/compact_memory";
        Assert.True(File.Exists(writeOnly), $"{writeOnly} is needed to reproduce an unreadable file as root");
        return writeOnly;
    }

    [Fact]
    public async Task A_log_whose_first_read_fails_is_a_one_line_error_with_exit_code_2()
    {
        // /proc/self/mem opens, then fails its first read with an I/O error.
        var (code, _, stderr) = await Replay("/proc/self/mem");

        Assert.Equal(ExitCodes.BadArguments, code);
        AssertOneErrorLine(stderr, "cannot read usage log '/proc/self/mem'");
    }

    [Fact]
    public async Task A_utf16_log_is_a_one_line_error_with_exit_code_2()
    {
        var path = WriteLog(Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(Line(1) + "\n")).ToArray());

        var (code, _, stderr) = await Replay(path);

        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Contains("it is UTF-16 (little-endian) text (it starts with a byte order mark); a usage log must be UTF-8", stderr);
    }

    [Theory]
    [InlineData("--Logging:LogLevel:Default=Loud", "Logging:LogLevel:Default must be one of Trace, Debug, Information, Warning, Error, Critical, None (got 'Loud')")]
    [InlineData("--Logging:Console:LogLevel:Analytics=Verbose", "Logging:Console:LogLevel:Analytics must be one of")]
    public async Task A_bad_log_level_is_a_one_line_error_naming_the_key(string setting, string message)
    {
        var (code, stdout, stderr) = await Replay(WriteLog(Line(1)), null, setting);

        Assert.Equal(ExitCodes.BadArguments, code);
        AssertOneErrorLine(stderr, message);
        Assert.Empty(stdout);
    }

    [Fact]
    public async Task A_malformed_settings_file_is_a_one_line_error()
    {
        var settings = Path.Combine(_dir, "settings.json");
        await File.WriteAllTextAsync(settings, "{ \"Analytics\": { ");

        var (code, _, stderr) = await Replay(WriteLog(Line(1)), null, "--config", settings);

        Assert.Equal(ExitCodes.BadArguments, code);
        AssertOneErrorLine(stderr, "invalid configuration");
    }

    // ------------------------------------------------------------------ exit codes

    [Fact]
    public async Task Events_left_undelivered_make_the_exit_code_3_with_the_reason_on_stderr()
    {
        _server.FailFirst = int.MaxValue; // every request answers 500, until the retry budget is spent

        var (code, stdout, stderr) = await Replay(WriteLog(Line(1), Line(2)), Sync(("RetryBudget", "00:00:00.300")));

        Assert.Equal(ExitCodes.NotDelivered, code);
        Assert.Equal(2, JsonDocument.Parse(stdout).RootElement.GetProperty("sync").GetProperty("undelivered").GetInt64());
        Assert.Contains("did not deliver everything: 2 undelivered, dead letters in Analytics:Sync:DeadLetterPath", stderr);
        Assert.Equal(2, File.ReadAllLines(DeadLetters).Length);
    }

    [Fact]
    public async Task Skipped_lines_alone_keep_exit_code_0_and_are_listed()
    {
        var (code, stdout, stderr) = await Replay(WriteLog(Line(1), "garbage", Line(3)), Sync());

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal(1, JsonDocument.Parse(stdout).RootElement.GetProperty("skipped_lines").GetInt64());
        Assert.Contains(":2: skipped: not valid JSON at byte 1", stderr);
    }
}
