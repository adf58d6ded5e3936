using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Analytics.Tests.Host;
using Analytics.Tests.Store;

namespace Analytics.Tests.Service;

/// <summary>
/// The real executable's <c>serve</c>: killed with SIGKILL right after a 202, a restart still has every event answered
/// 202; SIGTERM drains, flushes and exits 0.
/// </summary>
public sealed partial class ServeProcessSpecs : IDisposable
{
    private readonly string _dir = StoreTestSupport.NewFolder();

    private string Ledger => Path.Combine(_dir, "ledger.db");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Left to the system's temp cleaning.
        }
    }

    private sealed record Served(Process Process, string BaseUrl, StringBuilder Stderr);

    private async Task<Served> StartAsync()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _dir };
        foreach (var a in (string[])[HostProcessSpecs.HostDll(), "serve", "--urls", "http://127.0.0.1:0", $"--Analytics:Store:Path={Ledger}"]) start.ArgumentList.Add(a);
        var process = Process.Start(start)!;
        var stderr = new StringBuilder();
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr) stderr.AppendLine(e.Data);
            if (Listening().Match(e.Data) is { Success: true } m) listening.TrySetResult(m.Groups[1].Value);
        };
        process.BeginErrorReadLine();
        _ = process.StandardOutput.ReadToEndAsync();
        var exited = process.WaitForExitAsync();
        var first = await Task.WhenAny(listening.Task, exited, Task.Delay(TimeSpan.FromSeconds(60)));
        if (first != listening.Task)
        {
            if (!process.HasExited) process.Kill();
            Assert.Fail($"serve did not start: {stderr}");
        }
        return new Served(process, await listening.Task, stderr);
    }

    [GeneratedRegex(@"^serving on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string baseUrl, IEnumerable<string> lines) =>
        await client.PostAsync(baseUrl + "/v1/events", new StringContent(string.Join('\n', lines), Encoding.UTF8, "application/x-ndjson"));

    [Fact]
    public async Task Killed_with_SIGKILL_right_after_a_202_the_restarted_service_still_has_those_events_and_SIGTERM_exits_0()
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var first = await StartAsync();
        long expectedTokens = 0;
        using (first.Process)
        {
            for (var batch = 0; batch < 3; batch++)
            {
                var lines = Enumerable.Range(0, 200).Select(i => ServiceHarness.Line($"k9-{batch}-{i}", 1 + batch * 1_000 + i)).ToList();
                using var response = await PostAsync(client, first.BaseUrl, lines);
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                expectedTokens += lines.Sum(l => JsonDocument.Parse(l).RootElement.GetProperty("input_tokens").GetInt64());
            }
            // SIGKILL at once after the last 202: no drain, no flush, no shutdown hook.
            first.Process.Kill();
            await first.Process.WaitForExitAsync();
        }

        var second = await StartAsync();
        using (second.Process)
        {
            using var stats = await client.GetAsync(second.BaseUrl + "/v1/stats");
            var body = JsonDocument.Parse(await stats.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(600, body.GetProperty("totals").GetProperty("requests").GetInt64());
            Assert.Equal(expectedTokens, body.GetProperty("totals").GetProperty("input_tokens").GetInt64());

            // A last batch, then SIGTERM: the service finishes, commits and exits 0.
            using (var response = await PostAsync(client, second.BaseUrl, [ServiceHarness.Line("after-restart", 5)])) Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            using (var term = Process.Start("kill", ["-s", "TERM", second.Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                await term.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await second.Process.WaitForExitAsync(timeout.Token);
            lock (second.Stderr)
            {
                Assert.True(second.Process.ExitCode == 0, $"exit {second.Process.ExitCode}: {second.Stderr}");
                Assert.Contains("SIGTERM received: stopping", second.Stderr.ToString());
                // No key configured: said at start.
                Assert.Contains("Analytics:Ingest:ApiKeys is empty: POST /v1/events and GET /v1/stats answer loopback clients only", second.Stderr.ToString());
            }
        }
        using var connection = Analytics.Actors.Store.LedgerDatabase.OpenExistingReader(Ledger);
        Assert.Equal(601, Analytics.Actors.Store.LedgerReader.Count(connection));
    }
}
