using System.Text.Json;
using Analytics.Host;
using Analytics.Host.Replay;
using Analytics.Tests.Store;
using Xunit;

namespace Analytics.Tests.Sync;

/// <summary>The replay command with sync configured: every line reaches the server before the command returns.</summary>
public sealed class SyncReplaySpecs : IAsyncLifetime
{
    private readonly string _deadLetters = SyncTestSupport.TempFile("dead-letter.jsonl");
    private readonly string _sample = Path.Combine(SyncTestSupport.RepoRoot(), "samples", "usage.jsonl");
    private Protocol012TestServer _server = null!;

    public async Task InitializeAsync() => _server = await Protocol012TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<(int Exit, JsonElement Report, string Errors)> Replay(Dictionary<string, string?> overrides)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var command = new CommandLine { Command = "replay", LogPath = _sample, Format = "json" };
        var exit = await ReplayCommand.RunAsync(command, stdout, stderr, StoreTestSupport.WithoutStore(overrides));
        var text = stdout.ToString();
        return (exit, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone(), stderr.ToString());
    }

    private HashSet<string> SampleEventIds() =>
        File.ReadLines(_sample).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("event_id").GetString()!).ToHashSet();

    [Fact]
    public async Task Replay_with_faults_delivers_every_line_once_before_it_returns()
    {
        _server.InjectTransientFaults(failFirst: 10, tooManyEvery: 11, retryAfter: "0", unavailable: (50, 80), slowEvery: 37, slowDelay: TimeSpan.FromSeconds(30));
        var config = SyncTestSupport.Config(_server.BaseUrl, _deadLetters,
            ("Interval", "00:00:00.100"), ("Timeout", "00:00:00.500"), ("Parallelism", "4"), ("MaxConcurrentRequestsPerBatch", "8"));

        var (exit, report, errors) = await Replay(config);

        Assert.True(exit == ExitCodes.Ok, errors);
        var sync = report.GetProperty("sync");
        long N(string name) => sync.GetProperty(name).GetInt64();
        Assert.Equal(400, report.GetProperty("recorded").GetInt64());
        Assert.Equal((400L, 400L, 0L, 0L, 0L, 0L), (N("handed_to_sync"), N("delivered"), N("rejected"), N("undelivered"), N("pending"), N("sync_dropped")));
        // The server holds exactly the log's events, each once, under the log's own event ids.
        var ids = SampleEventIds();
        Assert.Equal(400, ids.Count);
        Assert.Equal(ids.OrderBy(x => x), _server.Stored.Keys.Select(k => k.EventId).OrderBy(x => x));
        Assert.All(_server.Stored.Keys, k => Assert.Equal(SyncTestSupport.Token, k.Token));
        Assert.Equal(_server.Requests.Count(r => r.Status == 200), N("duplicates"));
        Assert.True(N("duplicates") >= 1);
        Assert.Equal(_server.RequestCount - 400, N("retried_attempts"));
    }

    [Fact]
    public async Task Replay_against_a_server_that_refuses_a_provider_rejects_and_dead_letters_exactly_those()
    {
        _server.AcceptedProviders.Remove("anthropic");
        var config = SyncTestSupport.Config(_server.BaseUrl, _deadLetters, ("Interval", "00:00:00.100"));

        var (exit, report, errors) = await Replay(config);

        // The report is complete, but the exit code says not everything arrived, and stderr says why.
        Assert.Equal(ExitCodes.NotDelivered, exit);
        var anthropic = report.GetProperty("by_provider").GetProperty("anthropic").GetProperty("requests").GetInt64();
        Assert.True(anthropic > 0);
        var sync = report.GetProperty("sync");
        Assert.Equal(anthropic, sync.GetProperty("rejected").GetInt64());
        Assert.Equal(400 - anthropic, sync.GetProperty("delivered").GetInt64());
        Assert.Equal(0, sync.GetProperty("retried_attempts").GetInt64());
        Assert.Equal(400 - anthropic, _server.Stored.Count);
        var lines = SyncTestSupport.ReadLines(_deadLetters).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(anthropic, lines.Count);
        Assert.All(lines, l => Assert.Equal(400, l.GetProperty("status").GetInt32()));
        Assert.All(lines, l => Assert.Equal("anthropic", l.GetProperty("event").GetProperty("provider").GetString()));
        Assert.Contains($"did not deliver everything: {anthropic} rejected by the server", errors);
    }

    [Fact]
    public async Task Replay_with_a_malformed_endpoint_stops_with_a_clear_error()
    {
        var (exit, _, errors) = await Replay(SyncTestSupport.Config("htp:/nowhere", _deadLetters));

        Assert.Equal(ExitCodes.BadArguments, exit);
        Assert.Contains("Analytics:Sync:Endpoint", errors);
        Assert.DoesNotContain(SyncTestSupport.Token, errors);
        Assert.Equal(0, _server.RequestCount);
    }

    [Fact]
    public async Task Replay_without_an_endpoint_has_no_sync_section()
    {
        var (exit, report, errors) = await Replay(SyncTestSupport.Config("", _deadLetters));

        Assert.True(exit == ExitCodes.Ok, errors);
        Assert.False(report.TryGetProperty("sync", out _));
        Assert.Equal(0, _server.RequestCount);
    }
}
