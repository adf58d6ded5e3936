using System.Diagnostics;
using System.Text.Json;

namespace Analytics.Tests.Host;

/// <summary>The real executable, as a script would run it: exit codes and what lands on stdout and stderr.</summary>
public sealed class HostProcessSpecs
{
    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var host = HostDll();
        // In a folder of its own: the host keeps its ledger (analytics.db) in the current directory by default.
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = Directory.CreateTempSubdirectory("host-process-cwd-").FullName,
        };
        start.ArgumentList.Add(host);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// The host's own build output (same configuration as this test run): the copy next to the tests carries the
    /// host's deps.json but the test project's assembly versions, so it cannot run by itself.
    /// </summary>
    internal static string HostDll()
    {
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = framework.Parent!.Name;
        var dir = framework;
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Analytics.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var dll = Path.Combine(dir.FullName, "src", "Analytics.Host", "bin", configuration, framework.Name, "Analytics.Host.dll");
        Assert.True(File.Exists(dll), $"build the host first: {dll} is missing");
        return dll;
    }

    [Fact]
    public async Task Json_format_puts_exactly_one_json_object_on_stdout_and_exits_0()
    {
        var log = Path.Combine(Directory.CreateTempSubdirectory("host-process-").FullName, "u.jsonl");
        await File.WriteAllLinesAsync(log,
        [
            """{"event_type":"llm_request_completed","model":"gpt-4o","input_tokens":1000,"output_tokens":500}""",
            """{"event_type":"llm_request_completed","model":"unknown-model-x","input_tokens":1,"output_tokens":1}""",
            "garbage",
        ]);

        var (code, stdout, stderr) = await RunAsync("replay", log, "--format", "json");

        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout); // throws if anything but the report reached stdout
        Assert.Equal(2, doc.RootElement.GetProperty("totals").GetProperty("requests").GetInt64());
        Assert.Equal(7_500, doc.RootElement.GetProperty("by_model").GetProperty("gpt-4o").GetProperty("cost_micros").GetInt64());
        Assert.Equal(1, doc.RootElement.GetProperty("skipped_lines").GetInt64());
        Assert.Contains("u.jsonl:3: skipped: not valid JSON", stderr);
        Assert.Contains("unknown-model-x has no price", stderr); // the once-per-model warning goes to stderr
    }

    [Theory]
    [InlineData("replay")]
    [InlineData("replay", "/nonexistent/usage.jsonl")]
    [InlineData("frobnicate")]
    [InlineData("replay", "x.jsonl", "--format", "yaml")]
    [InlineData("stats")] // a fresh folder holds no analytics.db
    [InlineData("stats", "--by", "week")]
    [InlineData("stats", "--since", "last tuesday")]
    [InlineData("sync")]
    public async Task Bad_arguments_and_missing_files_exit_2_with_one_line_on_stderr(params string[] args)
    {
        var (code, stdout, stderr) = await RunAsync(args);

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("error: ", stderr);
    }
}
