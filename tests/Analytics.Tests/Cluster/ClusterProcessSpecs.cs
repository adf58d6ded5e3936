using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Analytics.Tests.Host;
using Xunit.Abstractions;

namespace Analytics.Tests.Cluster;

/// <summary>
/// The README's check, with the real executable: <c>serve</c> as the seed, two <c>replay</c> processes joining it with
/// half of a log each (each exits once its final publish is acknowledged and it left), then
/// <c>GET /v1/stats?scope=cluster&amp;consistency=all</c> on the seed equals <c>replay</c> of the whole log in every
/// integer field. Each process runs in a folder of its own (each keeps its own ledger).
/// </summary>
public sealed partial class ClusterProcessSpecs(ITestOutputHelper output) : IDisposable
{
    private const int Events = 600;
    private readonly string _dir = Directory.CreateTempSubdirectory("analytics-cluster-").FullName;

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

    private static readonly string[] Fast =
        ["--Analytics:Cluster:PublishInterval=00:00:00.200", "--Analytics:Cluster:GossipInterval=00:00:00.200", "--Analytics:Cluster:ReadTimeout=00:00:02"];

    private Process Start(string name, params string[] args)
    {
        var cwd = Directory.CreateDirectory(Path.Combine(_dir, name)).FullName;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = cwd };
        start.ArgumentList.Add(HostProcessSpecs.HostDll());
        foreach (var a in args) start.ArgumentList.Add(a);
        return Process.Start(start)!;
    }

    private static string Line(int i)
    {
        string[] models = ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "some-local-model"];
        var agent = i % 5 == 0 ? "" : $",\"agent_id\":\"agent-{i % 13}\"";
        var timing = i % 4 == 0 ? "" : $",\"duration_ms\":{100 + i},\"time_to_first_token_ms\":{10 + i % 50}";
        return i % 9 == 0
            ? $"{{\"event_type\":\"llm_request_failed\",\"event_id\":\"c-{i}\",\"model\":\"{models[i % 4]}\",\"error_code\":\"timeout\"{agent}{timing}}}"
            : $"{{\"event_type\":\"llm_request_completed\",\"event_id\":\"c-{i}\",\"model\":\"{models[i % 4]}\",\"input_tokens\":{1_000 + i},\"output_tokens\":{100 + i % 77}," +
              $"\"cache_read_input_tokens\":{(i % 3 == 0 ? 500 : 0)},\"reasoning_tokens\":{(i % 7 == 0 ? 40 : 0)}{agent}{timing}}}";
    }

    [Fact]
    public async Task Serve_as_seed_and_two_replays_of_halves_give_a_cluster_view_equal_to_a_replay_of_the_whole_log()
    {
        var lines = Enumerable.Range(0, Events).Select(Line).ToArray();
        var whole = Path.Combine(_dir, "whole.jsonl");
        var first = Path.Combine(_dir, "first.jsonl");
        var second = Path.Combine(_dir, "second.jsonl");
        await File.WriteAllLinesAsync(whole, lines);
        await File.WriteAllLinesAsync(first, lines[..(Events / 2)]);
        await File.WriteAllLinesAsync(second, lines[(Events / 2)..]);

        using var seed = Start("seed", ["serve", "--urls", "http://127.0.0.1:0", "--Analytics:Cluster:Enabled=true", .. Fast]);
        var stderr = new StringBuilder();
        var url = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var node = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        seed.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr) stderr.AppendLine(e.Data);
            if (Serving().Match(e.Data) is { Success: true } s) url.TrySetResult(s.Groups[1].Value);
            if (NodeLine().Match(e.Data) is { Success: true } n) node.TrySetResult(n.Groups[1].Value);
        };
        seed.BeginErrorReadLine();
        _ = seed.StandardOutput.ReadToEndAsync();
        try
        {
            var started = Task.WhenAll(url.Task, node.Task);
            if (await Task.WhenAny(started, seed.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60))) != started)
                Assert.Fail($"serve did not start as a cluster seed: {stderr}");
            var baseUrl = await url.Task;
            var seedNode = await node.Task;

            // The reference, without a cluster, runs beside the two halves.
            var replays = new[]
            {
                RunAsync(Start("first", ["replay", first, "--format", "json", "--Analytics:Cluster:Enabled=true", $"--Analytics:Cluster:Seeds:0={seedNode}", .. Fast])),
                RunAsync(Start("second", ["replay", second, "--format", "json", "--Analytics:Cluster:Enabled=true", $"--Analytics:Cluster:Seeds:0={seedNode}", .. Fast])),
                RunAsync(Start("whole", "replay", whole, "--format", "json")),
            };
            var results = await Task.WhenAll(replays);
            foreach (var (code, json, err) in results[..2])
            {
                Assert.True(code == 0, $"replay exited {code}: {err}");
                Assert.Equal("acknowledged_by_all", JsonDocument.Parse(json).RootElement.GetProperty("cluster").GetProperty("final_publish").GetString());
            }
            Assert.True(results[2].Code == 0, results[2].Stderr);
            var reference = JsonDocument.Parse(results[2].Stdout).RootElement;

            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var view = await ClusterViewAsync(client, baseUrl);

            Assert.Equal(Events, reference.GetProperty("totals").GetProperty("requests").GetInt64());
            foreach (var section in new[] { "totals", "by_model", "by_provider", "by_agent" }) SameIntegers(section, reference.GetProperty(section), view.GetProperty(section));
            Assert.Equal("all", view.GetProperty("cluster").GetProperty("consistency").GetString());
            // The two replays published; the seed recorded nothing, so it has no totals of its own.
            var nodes = view.GetProperty("cluster").GetProperty("nodes").EnumerateObject().ToList();
            Assert.Equal(2, nodes.Count);
            Assert.DoesNotContain(nodes, n => n.Name.StartsWith(seedNode + "#", StringComparison.Ordinal));
            Assert.Equal(Events, nodes.Sum(n => n.Value.GetProperty("requests").GetInt64()));
            output.WriteLine($"cluster view on the seed: {view.GetProperty("totals").GetProperty("requests")} requests, " +
                             $"{view.GetProperty("totals").GetProperty("cost_micros")} micros from {view.GetProperty("cluster").GetProperty("nodes").EnumerateObject().Count()} nodes");

            // A consistency belongs to scope=cluster only.
            using var local = await client.GetAsync(baseUrl + "/v1/stats?consistency=all");
            Assert.Equal(HttpStatusCode.BadRequest, local.StatusCode);
        }
        finally
        {
            if (!seed.HasExited)
            {
                using (var term = Process.Start("kill", ["-s", "TERM", seed.Id.ToString(CultureInfo.InvariantCulture)])) await term.WaitForExitAsync();
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                await seed.WaitForExitAsync(timeout.Token);
            }
        }
        Assert.True(seed.ExitCode == 0, $"serve exited {seed.ExitCode}: {stderr}");
    }

    /// <summary>
    /// The seed's view read from every node: a node that has just left is still named for a moment and makes an
    /// <c>all</c> read time out (503), so the read is repeated until it answers.
    /// </summary>
    private static async Task<JsonElement> ClusterViewAsync(HttpClient client, string baseUrl)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            using var response = await client.GetAsync(baseUrl + "/v1/stats?scope=cluster&consistency=all");
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.OK) return JsonDocument.Parse(body).RootElement.Clone();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            if (DateTime.UtcNow > deadline) Assert.Fail($"the cluster view never answered: {body}");
        }
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(Process process)
    {
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await stdout, await stderr);
        }
    }

    /// <summary>Every integer field of every row equal (the derived fractional ones follow from them).</summary>
    private static void SameIntegers(string section, JsonElement expected, JsonElement actual)
    {
        if (section == "totals")
        {
            SameRow(section, expected, actual);
            return;
        }
        Assert.Equal(expected.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal), actual.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        foreach (var row in expected.EnumerateObject()) SameRow($"{section}.{row.Name}", row.Value, actual.GetProperty(row.Name));
    }

    private static void SameRow(string what, JsonElement expected, JsonElement actual)
    {
        foreach (var counter in UsageCounters.All)
        {
            var name = UsageCounters.Name(counter);
            Assert.True(expected.GetProperty(name).GetInt64() == actual.GetProperty(name).GetInt64(),
                $"{what}.{name}: replay of the whole log {expected.GetProperty(name)}, cluster view {actual.GetProperty(name)}");
        }
        Assert.Equal(expected.GetProperty("total_tokens").GetInt64(), actual.GetProperty("total_tokens").GetInt64());
    }

    [GeneratedRegex(@"^serving on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Serving();

    [GeneratedRegex(@"^cluster node (akka\.tcp://analytics@127\.0\.0\.1:\d+):")]
    private static partial Regex NodeLine();
}
