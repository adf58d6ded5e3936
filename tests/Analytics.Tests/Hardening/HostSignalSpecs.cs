using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Analytics.Host;
using Analytics.Tests.Host;
using Analytics.Tests.Sync;
using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;

namespace Analytics.Tests.Hardening;

/// <summary>
/// The host as a process (issue 9, items 6, 7 and 11): SIGTERM and SIGINT stop a replay (of a FIFO that never ends, of
/// /dev/zero) with a report and an exit code that say what happened, a second signal stops it at once, and stdout holds
/// nothing but the report.
/// </summary>
public sealed class HostSignalSpecs : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("host-signals-").FullName;
    private Protocol012TestServer _server = null!;

    public async Task InitializeAsync() => _server = await Protocol012TestServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static string Line(int i) =>
        $$"""{"event_type":"llm_request_completed","event_id":"s-{{i}}","model":"gpt-4o","input_tokens":{{i}},"output_tokens":1}""";

    private string[] SyncArgs() =>
    [
        $"--Analytics:Sync:Endpoint={_server.BaseUrl}", $"--Analytics:Sync:Token={SyncTestSupport.Token}", "--Analytics:Sync:Interval=00:00:00.020",
        "--Analytics:Sync:BatchSize=1", $"--Analytics:Sync:DeadLetterPath={Path.Combine(_dir, "dead-letter.jsonl")}",
    ];

    private string Fifo()
    {
        var path = Path.Combine(_dir, "usage.fifo");
        using (var mkfifo = Process.Start("mkfifo", [path])) mkfifo.WaitForExit();
        return path;
    }

    /// <summary>Opens the FIFO for writing (which waits for the host to open it for reading) and writes lines into it, kept open.</summary>
    private static async Task<FileStream> WriteToFifo(string fifo, params string[] lines)
    {
        var writer = await Task.Run(() => new FileStream(fifo, FileMode.Open, FileAccess.Write));
        await writer.WriteAsync(Encoding.UTF8.GetBytes(string.Join("", lines.Select(l => l + "\n"))));
        await writer.FlushAsync();
        return writer;
    }

    [Fact]
    public async Task SIGTERM_stops_a_replay_of_a_FIFO_that_never_ends_delivers_what_was_read_and_exits_143()
    {
        var fifo = Fifo();
        await using var host = HostRun.Start(["replay", fifo, "--format", "json", .. SyncArgs()]);
        await using var writer = await WriteToFifo(fifo, Line(1), Line(2), Line(3));
        await SyncTestSupport.WaitUntil(() => _server.Stored.Count == 3, Patience, "three events stored");

        host.Signal("TERM");
        var code = await host.ExitAsync(Patience);

        Assert.True(code == 143, host.Stderr);
        var report = ParseReport(host);
        Assert.Equal(3, report.GetProperty("recorded").GetInt64());
        Assert.Equal(3, report.GetProperty("sync").GetProperty("delivered").GetInt64());
        Assert.Contains("SIGTERM received: stopping: no more input is read", host.Stderr);
        Assert.Contains("error: replay interrupted by SIGTERM after line 3; every recorded event was delivered", host.Stderr);
    }

    [Fact]
    public async Task A_second_SIGTERM_stops_at_once_and_says_what_was_left_undelivered()
    {
        _server.Stall(); // delivery hangs: the flush would wait out the replay's five-minute flush timeout
        var fifo = Fifo();
        await using var host = HostRun.Start(["replay", fifo, "--format", "json", .. SyncArgs()]);
        await using var writer = await WriteToFifo(fifo, Line(1), Line(2));
        await SyncTestSupport.WaitUntil(() => _server.RequestCount >= 2, Patience, "both events in delivery");

        host.Signal("TERM");
        await SyncTestSupport.WaitUntil(() => host.Stderr.Contains("SIGTERM received: stopping", StringComparison.Ordinal), Patience, "the first signal's message");
        host.Signal("TERM");
        var code = await host.ExitAsync(Patience);

        Assert.True(code == 143, host.Stderr);
        Assert.Contains("SIGTERM received again: stopping at once; left undelivered and not dead-lettered: 2 lines read, 2 events recorded, " +
                        "2 not yet delivered to the sync endpoint.", host.Stderr);
        Assert.Empty(host.Stdout);
    }

    [Fact]
    public async Task A_line_that_never_ends_is_cut_at_the_limit_and_SIGINT_stops_the_replay_with_exit_130()
    {
        await using var host = HostRun.Start(["replay", "/dev/zero", "--format", "json"]);
        await SyncTestSupport.WaitUntil(() => host.Stderr.Contains("/dev/zero:1: skipped: the line is longer than 1048576 bytes", StringComparison.Ordinal),
            Patience, "the first line to be cut");

        host.Signal("INT");
        var code = await host.ExitAsync(Patience);

        Assert.True(code == 130, host.Stderr);
        var report = ParseReport(host);
        Assert.Equal((1L, 0L, 1L), (report.GetProperty("lines").GetInt64(), report.GetProperty("recorded").GetInt64(), report.GetProperty("skipped_lines").GetInt64()));
        Assert.Contains("error: replay interrupted by SIGINT after line 1", host.Stderr);
    }

    [Fact]
    public async Task With_format_json_stdout_holds_exactly_the_report_even_through_the_sync_shutdown()
    {
        var log = Path.Combine(_dir, "u.jsonl");
        await File.WriteAllLinesAsync(log, Enumerable.Range(1, 20).Select(Line));

        // Several at once: the Akka lines that used to reach stdout at shutdown came in most runs, not all.
        var runs = Enumerable.Range(0, 3).Select(_ => HostRun.Start(["replay", log, "--format", "json", .. SyncArgs()])).ToArray();
        try
        {
            foreach (var run in runs)
            {
                Assert.True(await run.ExitAsync(Patience) == 0, run.Stderr);
                var report = ParseReport(run); // throws on anything but one JSON value
                Assert.Equal(20, report.GetProperty("sync").GetProperty("delivered").GetInt64());
                Assert.StartsWith("{", run.Stdout);
            }
        }
        finally
        {
            foreach (var run in runs) await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_host_sends_Akka_s_console_logger_to_stderr_and_turns_off_its_process_exit_hook()
    {
        using var host = AnalyticsHost.Build(null, []);
        await host.StartAsync();
        try
        {
            var settings = host.Services.GetRequiredService<ActorSystem>().Settings;
            // Akka hands this logger whatever a stopped logger still had queued, at any level: it must not be stdout's.
            Assert.IsType<StandardErrorLogger>(settings.StdoutLogger);
            Assert.False(settings.Config.GetBoolean("akka.coordinated-shutdown.run-by-clr-shutdown-hook"));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static JsonElement ParseReport(HostRun run)
    {
        try
        {
            return JsonDocument.Parse(run.Stdout).RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"stdout is not one JSON report ({e.Message}):\n{run.Stdout}\nstderr:\n{run.Stderr}");
        }
    }

    /// <summary>The host's dll run as a child process, its output collected as it comes.</summary>
    private sealed class HostRun : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _stdout = new();
        private readonly ConcurrentQueue<string> _stderr = new();

        private HostRun(Process process) => _process = process;

        public string Stdout
        {
            get
            {
                lock (_stdout) return _stdout.ToString();
            }
        }

        public string Stderr => string.Join('\n', _stderr);

        public static HostRun Start(string[] args)
        {
            // Its own working directory: the host keeps its ledger (analytics.db) there, and runs must not share one.
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
                WorkingDirectory = Directory.CreateTempSubdirectory("host-signal-cwd-").FullName,
            };
            start.ArgumentList.Add(HostProcessSpecs.HostDll());
            foreach (var a in args) start.ArgumentList.Add(a);
            var run = new HostRun(new Process { StartInfo = start });
            run._process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                lock (run._stdout) run._stdout.AppendLine(e.Data);
            };
            run._process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null) run._stderr.Enqueue(e.Data);
            };
            run._process.Start();
            run._process.BeginOutputReadLine();
            run._process.BeginErrorReadLine();
            return run;
        }

        public void Signal(string name)
        {
            using var kill = Process.Start("kill", ["-s", name, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }

        public async Task<int> ExitAsync(TimeSpan timeout)
        {
            using var cancel = new CancellationTokenSource(timeout);
            await _process.WaitForExitAsync(cancel.Token);
            _process.WaitForExit(); // drains the redirected output
            return _process.ExitCode;
        }

        public ValueTask DisposeAsync()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
