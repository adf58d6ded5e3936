using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Analytics.Actors;
using Analytics.Actors.Sync;
using Analytics.Contracts;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Analytics.Tests.Sync;

/// <summary>The HTTP sink against the Protocol 012 test server, fault by fault.</summary>
public sealed class Protocol012HttpSinkSpecs : IAsyncLifetime
{
    private readonly string _deadLetters = SyncTestSupport.TempFile("dead-letter.jsonl");
    private readonly LogCapture _logs = new();
    private Protocol012TestServer _server = null!;

    public async Task InitializeAsync() => _server = await Protocol012TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private (Protocol012HttpSink Sink, SyncMetrics Metrics) Sink(Action<SyncOptions>? tweak = null, string? endpoint = null)
    {
        var options = SyncTestSupport.SinkOptions(endpoint ?? _server.BaseUrl, _deadLetters);
        tweak?.Invoke(options);
        var (sink, metrics, _) = SyncTestSupport.Sink(options, _logs);
        return (sink, metrics);
    }

    private static AnalyticsEvent[] Events(int n) => Enumerable.Range(0, n).Select(_ => (AnalyticsEvent)SyncTestSupport.Completed()).ToArray();

    [Fact]
    public async Task Every_event_is_stored_with_the_protocol_fields()
    {
        var (sink, _) = Sink();
        AnalyticsEvent[] batch =
        [
            SyncTestSupport.Completed(id: "c-openai", providerId: "ip_openai-001"),
            SyncTestSupport.Completed(id: "c-mistral", model: "mistral-large", provider: "mistral"),
            SyncTestSupport.Failed(id: "f-full"),
            SyncTestSupport.Failed(id: "f-bare", errorCode: null, errorMessage: null),
        ];

        var outcome = await sink.DeliverAsync(batch, CancellationToken.None);

        Assert.Equal(new BatchOutcome(4, 0, 0, 0, 0), outcome);
        Assert.Equal(4, _server.Stored.Count);
        Assert.All(_server.Requests, r => Assert.Equal(202, r.Status));
        var openai = _server.Stored[(SyncTestSupport.Token, "c-openai")];
        Assert.Equal("ip_openai-001", openai.GetProperty("provider_id").GetString());
        Assert.Equal(4_500, openai.GetProperty("cost_micros").GetInt64());
        Assert.Equal("unknown", _server.Stored[(SyncTestSupport.Token, "c-mistral")].GetProperty("provider").GetString());
        Assert.Equal("rate_limit", _server.Stored[(SyncTestSupport.Token, "f-full")].GetProperty("error_code").GetString());
        Assert.False(_server.Stored[(SyncTestSupport.Token, "f-bare")].TryGetProperty("error_code", out _));
        Assert.Empty(SyncTestSupport.ReadLines(_deadLetters));
    }

    [Fact]
    public async Task First_requests_failing_with_500_are_retried_and_each_event_is_stored_once()
    {
        _server.FailFirst = 3;
        var (sink, metrics) = Sink(o => o.MaxConcurrentRequestsPerBatch = 1);

        var outcome = await sink.DeliverAsync(Events(5), CancellationToken.None);

        Assert.Equal(new BatchOutcome(5, 0, 0, 0, 0), outcome);
        Assert.Equal(5, _server.Stored.Count);
        Assert.Equal(8, _server.RequestCount);
        Assert.Equal(3, metrics.Snapshot().RetriedAttempts);
        // The retries of the first event carried the same event id every time.
        var first = _server.Requests.OrderBy(r => r.Number).First().EventId;
        Assert.Equal([500, 500, 500, 202], _server.RequestsFor(first!).Select(r => r.Status));
    }

    [Fact]
    public async Task A_429_Retry_After_in_seconds_is_honoured()
    {
        _server.TooManyEvery = 2;
        _server.RetryAfter = () => "1";
        var (sink, metrics) = Sink(o => o.MaxConcurrentRequestsPerBatch = 1);
        var batch = Events(2);

        var outcome = await sink.DeliverAsync(batch, CancellationToken.None);

        Assert.Equal(2, outcome.Delivered);
        var attempts = _server.RequestsFor(batch[1].EventId!);
        Assert.Equal([429, 202], attempts.Select(r => r.Status));
        // Back-off alone would retry after ~10 ms; the server asked for a second.
        Assert.True(attempts[1].At - attempts[0].At >= TimeSpan.FromMilliseconds(950), $"retried after {attempts[1].At - attempts[0].At}");
        Assert.Equal(1, metrics.Snapshot().RetriedAttempts);
    }

    [Fact]
    public async Task A_Retry_After_of_zero_keeps_the_back_off_instead_of_re_posting_in_a_tight_loop()
    {
        _server.TooManyEvery = 1; // every request: 429, "Retry-After: 0"
        _server.RetryAfter = () => "0";
        var (sink, _) = Sink(o =>
        {
            o.RetryDelay = TimeSpan.FromMilliseconds(200);
            o.MaxRetryDelay = TimeSpan.FromMilliseconds(200);
            o.RetryBudget = TimeSpan.FromSeconds(1);
        });
        var batch = Events(1);

        var outcome = await sink.DeliverAsync(batch, CancellationToken.None);

        Assert.Equal(1, outcome.Undelivered);
        // Taken literally, "0" would mean hundreds of posts within the one-second budget on loopback.
        var attempts = _server.RequestsFor(batch[0].EventId!).Count;
        Assert.InRange(attempts, 2, 30);
    }

    [Fact]
    public async Task A_429_Retry_After_as_an_HTTP_date_is_honoured()
    {
        _server.TooManyEvery = 1;
        var calls = 0;
        _server.RetryAfter = () =>
        {
            // After the first answer, stop injecting 429s so the retry can succeed.
            if (Interlocked.Increment(ref calls) == 1) return DateTimeOffset.UtcNow.AddSeconds(2).ToString("R");
            _server.TooManyEvery = 0;
            return "0";
        };
        var (sink, _) = Sink();
        var batch = Events(1);

        var outcome = await sink.DeliverAsync(batch, CancellationToken.None);

        Assert.Equal(1, outcome.Delivered);
        var attempts = _server.RequestsFor(batch[0].EventId!);
        Assert.Equal(429, attempts[0].Status);
        Assert.Equal(202, attempts[^1].Status);
        // An HTTP date has whole seconds: "now + 2 s" is at least one second away.
        Assert.True(attempts[1].At - attempts[0].At >= TimeSpan.FromMilliseconds(900), $"retried after {attempts[1].At - attempts[0].At}");
    }

    [Fact]
    public async Task A_Retry_After_past_the_budget_gives_up_at_once_as_undelivered()
    {
        _server.TooManyEvery = 1;
        _server.RetryAfter = () => "120";
        var (sink, metrics) = Sink(o => o.RetryBudget = TimeSpan.FromSeconds(20));
        var clock = Stopwatch.StartNew();

        var outcome = await sink.DeliverAsync(Events(1), CancellationToken.None);

        Assert.Equal(BatchOutcome.AllUndelivered(1), outcome);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), "waited instead of giving up");
        Assert.Equal(1, _server.RequestCount);
        Assert.Equal(0, metrics.Snapshot().RetriedAttempts);
        var line = JsonDocument.Parse(Assert.Single(SyncTestSupport.ReadLines(_deadLetters))).RootElement;
        Assert.Equal(429, line.GetProperty("status").GetInt32());
        Assert.Contains("retry budget", line.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_window_of_503s_is_ridden_out_and_each_event_is_stored_once()
    {
        _server.UnavailableWindow = (2, 9);
        var (sink, metrics) = Sink();

        var outcome = await sink.DeliverAsync(Events(6), CancellationToken.None);

        Assert.Equal(new BatchOutcome(6, 0, 0, 0, 0), outcome);
        Assert.Equal(6, _server.Stored.Count);
        Assert.Equal(8, _server.Requests.Count(r => r.Status == 503));
        Assert.Equal(8, metrics.Snapshot().RetriedAttempts);
    }

    [Fact]
    public async Task A_slow_answer_times_out_and_the_retry_is_a_duplicate_not_a_second_copy()
    {
        _server.SlowEvery = 1;
        _server.SlowDelay = TimeSpan.FromSeconds(30);
        var (sink, metrics) = Sink(o => o.Timeout = TimeSpan.FromMilliseconds(300));
        var batch = Events(1);
        // Only the first answer is slow: the knob is turned off once the first request was stored.
        var delivery = sink.DeliverAsync(batch, CancellationToken.None);
        await SyncTestSupport.WaitUntil(() => _server.Stored.Count == 1, TimeSpan.FromSeconds(10), "the first attempt to be stored");
        _server.SlowEvery = 0;

        var outcome = await delivery;

        Assert.Equal(new BatchOutcome(1, 1, 0, 0, 0), outcome);
        Assert.Single(_server.Stored);
        Assert.True(metrics.Snapshot().RetriedAttempts >= 1);
        Assert.Equal(200, _server.RequestsFor(batch[0].EventId!).Last(r => r.Status > 0).Status);
    }

    [Fact]
    public async Task A_400_for_a_bad_provider_is_not_retried_and_is_dead_lettered()
    {
        _server.AcceptedProviders.Remove("anthropic"); // an older server: anthropic is "a bad provider" to it
        var (sink, metrics) = Sink();
        var bad = SyncTestSupport.Failed(id: "bad-provider");
        var good = SyncTestSupport.Completed(id: "good");

        var outcome = await sink.DeliverAsync([bad, good], CancellationToken.None);

        Assert.Equal(new BatchOutcome(1, 0, 1, 0, 0), outcome);
        Assert.Equal([400], _server.RequestsFor("bad-provider").Select(r => r.Status));
        Assert.Equal(0, metrics.Snapshot().RetriedAttempts);
        var text = File.ReadAllText(_deadLetters);
        Assert.DoesNotContain(SyncTestSupport.Token, text);
        var line = JsonDocument.Parse(Assert.Single(SyncTestSupport.ReadLines(_deadLetters))).RootElement;
        Assert.Equal(400, line.GetProperty("status").GetInt32());
        Assert.Contains("VALIDATION_ERROR", line.GetProperty("response_body").GetString());
        Assert.Contains("provider 'anthropic' is not accepted", line.GetProperty("response_body").GetString());
        Assert.Contains("not retried", line.GetProperty("reason").GetString());
        Assert.Equal("bad-provider", line.GetProperty("event").GetProperty("event_id").GetString());
        Assert.Equal("REDACTED", line.GetProperty("event").GetProperty("ic_token").GetString());
    }

    [Fact]
    public async Task A_401_is_logged_once_and_later_events_are_not_sent()
    {
        _server.ValidToken = "another-token";
        var (sink, metrics) = Sink(o => o.MaxConcurrentRequestsPerBatch = 1);

        var first = await sink.DeliverAsync(Events(4), CancellationToken.None);
        var second = await sink.DeliverAsync(Events(3), CancellationToken.None);

        Assert.Equal(new BatchOutcome(0, 0, 4, 4, 0), first);
        Assert.Equal(new BatchOutcome(0, 0, 3, 3, 0), second);
        Assert.Equal(1, _server.RequestCount); // no spinning on a refused token
        Assert.Equal(0, metrics.Snapshot().RetriedAttempts);
        var errors = _logs.Entries.Where(e => e.Level == LogLevel.Error).ToList();
        Assert.Contains("401", Assert.Single(errors).Message);
        Assert.DoesNotContain(_logs.Entries, e => e.Message.Contains(SyncTestSupport.Token, StringComparison.Ordinal));
        Assert.Equal(7, SyncTestSupport.ReadLines(_deadLetters).Length);
    }

    [Fact]
    public async Task A_refused_connection_is_retried_until_the_budget_is_spent_then_dead_lettered()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now: connections are refused
        var (sink, metrics) = Sink(o => o.RetryBudget = TimeSpan.FromMilliseconds(500), endpoint: $"http://127.0.0.1:{port}");

        var outcome = await sink.DeliverAsync(Events(2), CancellationToken.None);

        Assert.Equal(BatchOutcome.AllUndelivered(2), outcome);
        Assert.True(metrics.Snapshot().RetriedAttempts >= 2);
        var lines = SyncTestSupport.ReadLines(_deadLetters).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.Contains("retry budget", l.GetProperty("reason").GetString()));
    }

    [Fact]
    public async Task Cancelling_delivery_settles_every_event_as_undelivered_promptly()
    {
        _server.Stall();
        var (sink, _) = Sink(o => o.MaxConcurrentRequestsPerBatch = 2);
        using var cancel = new CancellationTokenSource();
        var delivery = sink.DeliverAsync(Events(5), cancel.Token);
        await SyncTestSupport.WaitUntil(() => _server.RequestCount == 2, TimeSpan.FromSeconds(10), "two requests in flight");

        cancel.Cancel();
        var outcome = await delivery.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(BatchOutcome.AllUndelivered(5), outcome);
        Assert.Equal(2, _server.RequestCount);
        var reasons = SyncTestSupport.ReadLines(_deadLetters).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("reason").GetString()!).ToList();
        Assert.Equal(5, reasons.Count);
        Assert.All(reasons, r => Assert.StartsWith("shutdown", r));
    }
}
