using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using Analytics.Actors;
using Analytics.Actors.Hosting;
using Analytics.Actors.Sync;
using Analytics.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Xunit;

namespace Analytics.Tests.Sync;

/// <summary>
/// Sync inside a generic host wired like the product (AddUsageAnalytics + WithUsageAnalytics), against the
/// Protocol 012 test server: exactly-once storage under faults, batching, the shutdown flush, backpressure.
/// </summary>
public sealed class SyncHostingSpecs : IAsyncLifetime
{
    private static readonly TimeSpan Ask = TimeSpan.FromSeconds(20);
    private readonly string _deadLetters = SyncTestSupport.TempFile("dead-letter.jsonl");
    private readonly LogCapture _logs = new();
    private Protocol012TestServer _server = null!;

    public async Task InitializeAsync() => _server = await Protocol012TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<IHost> StartHost(params (string Key, string Value)[] sync)
    {
        var host = SyncTestSupport.BuildHost(SyncTestSupport.Config(_server.BaseUrl, _deadLetters, sync), _logs);
        await host.StartAsync();
        return host;
    }

    private static void Record(UsageRecorder recorder, int n)
    {
        for (var i = 0; i < n; i++)
        {
            var ok = (i % 5) switch
            {
                0 => recorder.RecordFailed("gpt-4o", attribution: new RequestAttribution { AgentId = "a" }, failure: new RequestFailure { ErrorCode = "timeout" }),
                1 => recorder.RecordCompletedWithProvider("mistral", "mistral-large", new TokenUsage(100, 10)),
                2 => recorder.RecordCompleted("claude-3-5-haiku-20241022", 200, 20, attribution: new RequestAttribution { ProviderId = "ip_anthropic-002" }),
                _ => recorder.RecordCompleted("gpt-4o", 300 + i, 30),
            };
            Assert.True(ok);
        }
    }

    private static void AssertIdentity(SyncCounters c) => Assert.Equal(c.HandedToSync, c.Delivered + c.Rejected + c.Undelivered + c.Pending);

    [Fact]
    public async Task An_empty_endpoint_runs_nothing()
    {
        using var host = SyncTestSupport.BuildHost(SyncTestSupport.Config(endpoint: "", _deadLetters), _logs);
        await host.StartAsync();
        var recorder = host.Services.GetRequiredService<UsageRecorder>();
        var registry = host.Services.GetRequiredService<ActorRegistry>();
        Record(recorder, 10);

        var stats = await host.Services.GetRequiredService<IUsageStats>().GetAsync();
        await host.StopAsync();

        Assert.Equal(10, stats.Totals.Requests);
        Assert.Null(stats.Sync);
        Assert.False(registry.TryGet<SyncActor>(out _));
        Assert.Empty(recorder.Taps.Current);
        Assert.False(host.Services.GetRequiredService<SyncStatus>().Enabled);
        Assert.Null(host.Services.GetRequiredService<SyncStatus>().Current);
        Assert.Equal(0, _server.RequestCount);
        Assert.False(File.Exists(_deadLetters));
    }

    [Fact]
    public async Task A_malformed_endpoint_is_a_clear_start_error()
    {
        using var host = SyncTestSupport.BuildHost(SyncTestSupport.Config("localhost:5000", _deadLetters));
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Analytics:Sync:Endpoint", e.Message);
        Assert.Contains("'localhost:5000'", e.Message);
        Assert.DoesNotContain(SyncTestSupport.Token, e.Message);
    }

    [Fact]
    public async Task Every_event_is_stored_exactly_once_under_combined_faults()
    {
        _server.InjectTransientFaults(failFirst: 4, tooManyEvery: 7, retryAfter: "0", unavailable: (20, 30), slowEvery: 23, slowDelay: TimeSpan.FromSeconds(30));
        using var host = await StartHost(("Timeout", "00:00:00.300"), ("BatchSize", "8"), ("Parallelism", "3"));
        var recorder = host.Services.GetRequiredService<UsageRecorder>();
        Record(recorder, 120);
        var live = await host.Services.GetRequiredService<IUsageStats>().GetAsync();

        await host.StopAsync(); // the flush waits for the last retries
        var c = host.Services.GetRequiredService<SyncStatus>().Current!;

        Assert.NotNull(live.Sync);
        AssertIdentity(live.Sync!);
        Assert.Equal(120, c.HandedToSync);
        Assert.Equal((120L, 0L, 0L, 0L, 0L), (c.Delivered, c.Rejected, c.Undelivered, c.Pending, c.SyncDropped));
        Assert.Equal(120, _server.Stored.Count);
        Assert.Equal(120, _server.Requests.Count(r => r.NewlyStored)); // stored by exactly one request each
        Assert.Equal(c.Duplicates, _server.Requests.Count(r => r.Status == 200));
        Assert.True(c.Duplicates >= 1, "a slow answer should have produced a duplicate");
        Assert.Equal(_server.RequestCount - 120, c.RetriedAttempts); // every request beyond one per event was a retry
        Assert.All(_server.Stored.Values, e => Assert.Contains(e.GetProperty("provider").GetString(), new[] { "openai", "anthropic", "unknown" }));
        Assert.Empty(SyncTestSupport.ReadLines(_deadLetters));
    }

    [Fact]
    public async Task A_partial_batch_is_sent_when_the_interval_passes_while_the_host_runs()
    {
        using var host = await StartHost(("BatchSize", "100"), ("Interval", "00:00:00.200"));
        var recorder = host.Services.GetRequiredService<UsageRecorder>();
        var status = host.Services.GetRequiredService<SyncStatus>();
        Record(recorder, 3);

        await SyncTestSupport.WaitUntil(() => _server.Stored.Count == 3, TimeSpan.FromSeconds(10), "the partial batch");
        await SyncTestSupport.WaitUntil(() => status.Current!.Delivered == 3, TimeSpan.FromSeconds(10), "the batch to settle");
        Assert.Equal(0, status.Current!.Pending);
        await host.StopAsync();
    }

    [Fact]
    public async Task The_shutdown_flush_delivers_the_tail()
    {
        using var host = await StartHost(("BatchSize", "1000"), ("Interval", "01:00:00"));
        var recorder = host.Services.GetRequiredService<UsageRecorder>();
        Record(recorder, 7);
        var before = await host.Services.GetRequiredService<IUsageStats>().GetAsync();
        Assert.Equal((7L, 0L, 7L), (before.Sync!.HandedToSync, before.Sync.Delivered, before.Sync.Pending));
        Assert.Empty(_server.Stored); // neither the size nor the hour-long interval can have released the batch

        await host.StopAsync(); // host stop runs CoordinatedShutdown, which runs the flush

        var after = host.Services.GetRequiredService<SyncStatus>().Current!;
        Assert.Equal(7, _server.Stored.Count);
        Assert.Equal((7L, 7L, 0L, 0L), (after.HandedToSync, after.Delivered, after.Undelivered, after.Pending));
        Assert.True(_logs.Contains("Sync flushed: 7 delivered"), string.Join("\n", _logs.Entries.Select(e => e.Message)));
    }

    [Fact]
    public async Task The_flush_phase_timeout_covers_the_longest_flush()
    {
        using var host = await StartHost();
        var system = host.Services.GetRequiredService<ActorSystem>();
        var phase = CoordinatedShutdown.Get(system).Timeout(SyncRegistration.FlushPhase);
        Assert.True(phase >= SyncOptions.MaxFlushTimeout + SyncActor.CancelGrace, $"phase timeout {phase}");
        await host.StopAsync();
    }

    [Fact]
    public async Task A_flush_that_times_out_counts_the_rest_undelivered()
    {
        _server.Stall();
        using var host = await StartHost(("BatchSize", "2"), ("FlushTimeout", "00:00:00.300"));
        var recorder = host.Services.GetRequiredService<UsageRecorder>();
        Record(recorder, 5);
        await SyncTestSupport.WaitUntil(() => _server.RequestCount >= 1, TimeSpan.FromSeconds(10), "a request to reach the stalled server");

        await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));

        var c = host.Services.GetRequiredService<SyncStatus>().Current!;
        Assert.Equal((5L, 0L, 5L, 0L), (c.HandedToSync, c.Delivered, c.Undelivered, c.Pending));
        Assert.Empty(_server.Stored);
        var lines = SyncTestSupport.ReadLines(_deadLetters).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(5, lines.Count);
        Assert.All(lines, l => Assert.StartsWith("shutdown", l.GetProperty("reason").GetString()));
        Assert.True(_logs.Contains("5 undelivered"));
    }

    [Fact]
    public async Task A_stalled_server_slows_neither_recording_nor_stats()
    {
        _server.Stall();
        using var host = await StartHost(("QueueCapacity", "20"), ("BatchSize", "5"), ("Parallelism", "1"),
            ("MaxConcurrentRequestsPerBatch", "1"), ("FlushTimeout", "00:00:10"));
        var recorder = host.Services.GetRequiredService<UsageRecorder>();
        var registry = host.Services.GetRequiredService<ActorRegistry>();

        Record(recorder, 300); // every call returns true: the ring takes them, sync is not in the way
        var stats = await host.Services.GetRequiredService<IUsageStats>().GetAsync(); // answers while every delivery hangs

        Assert.Equal(300, stats.Totals.Requests);
        Assert.Equal(0, stats.Ingress.Dropped);
        var s = stats.Sync!;
        Assert.Equal(300, s.HandedToSync + s.SyncDropped);
        Assert.True(s.SyncDropped > 0, "a full queue must count drops, not wait");
        Assert.Equal(0, s.Delivered);
        AssertIdentity(s);
        // One batch, one request at a time: the rest waits in the bounded queue.
        await SyncTestSupport.WaitUntil(() => _server.RequestCount == 1, TimeSpan.FromSeconds(10), "the first request");

        _server.Release();
        await host.StopAsync();
        var c = host.Services.GetRequiredService<SyncStatus>().Current!;
        Assert.Equal((s.HandedToSync, s.SyncDropped, 0L, 0L), (c.Delivered, c.SyncDropped, c.Undelivered, c.Pending));
        Assert.Equal(s.HandedToSync, _server.Stored.Count);
    }
}
