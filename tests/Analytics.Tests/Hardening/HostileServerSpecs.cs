using System.Net;
using System.Text;
using System.Text.Json;
using Analytics.Actors.Sync;
using Analytics.Tests.Sync;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Analytics.Tests.Hardening;

/// <summary>
/// The sync sink against servers that misbehave (issue 9, items 1, 2, 7 and 8): redirects, unreadable 2xx bodies,
/// endless bodies, bodies that echo the token. Each event must end as delivered, rejected or undelivered by its status
/// alone, every one not delivered must be dead-lettered, and no dead letter may hold the token in any form.
/// </summary>
public sealed class HostileServerSpecs : IAsyncLifetime
{
    private const string EventsPath = SyncOptions.EventsPath;
    private readonly string _deadLetters = SyncTestSupport.TempFile("hostile-dead-letter.jsonl");
    private readonly LogCapture _logs = new();
    private HostileServer _server = null!;

    public async Task InitializeAsync() => _server = await HostileServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private (Protocol012HttpSink Sink, SyncMetrics Metrics, DeadLetterFile DeadLetters) Sink(TimeSpan? budget = null)
    {
        var options = SyncTestSupport.SinkOptions(_server.BaseUrl, _deadLetters);
        options.RetryBudget = budget ?? TimeSpan.FromSeconds(3);
        options.Timeout = TimeSpan.FromSeconds(2);
        return SyncTestSupport.Sink(options, _logs);
    }

    private static AnalyticsEvent[] Events(int n) => Enumerable.Range(0, n).Select(_ => (AnalyticsEvent)SyncTestSupport.Completed()).ToArray();

    private List<JsonElement> DeadLetters() => SyncTestSupport.ReadLines(_deadLetters).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    private void AssertNoTokenInDeadLetters()
    {
        var text = File.Exists(_deadLetters) ? File.ReadAllText(_deadLetters) : "";
        Assert.DoesNotContain(SyncTestSupport.Token, text);
        Assert.DoesNotContain("tok-secret", text); // no prefix either, in any spelling below
        Assert.DoesNotContain("\\u0074\\u006F\\u006B", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("tok%2Dsecret", text, StringComparison.OrdinalIgnoreCase);
    }

    // ------------------------------------------------------------------ item 1: redirects

    [Fact]
    public async Task A_301_is_rejected_and_dead_lettered_with_its_location_instead_of_being_followed_as_a_GET()
    {
        _server.Handler = (http, request) =>
        {
            if (request.Method == "POST")
            {
                http.Response.StatusCode = 301;
                http.Response.Headers.Location = "/moved-here";
            }
            else
            {
                http.Response.StatusCode = 200; // a GET "succeeds": followed, this would count as a delivered duplicate
            }
            return Task.CompletedTask;
        };
        var (sink, _, _) = Sink();

        var outcome = await sink.DeliverAsync(Events(3), CancellationToken.None);

        Assert.Equal(new BatchOutcome(0, 0, 3, 0, 0), outcome);
        Assert.All(_server.Requests, r => Assert.Equal("POST", r.Method));
        Assert.Equal(3, _server.Requests.Count);
        var letters = DeadLetters();
        Assert.Equal(3, letters.Count);
        Assert.All(letters, l => Assert.Equal(301, l.GetProperty("status").GetInt32()));
        Assert.All(letters, l => Assert.Contains($"redirect (301) to {_server.BaseUrl}/moved-here", l.GetProperty("reason").GetString()));
        Assert.Single(_logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("answered with a redirect", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_307_to_another_origin_never_sends_the_body_or_its_token_there()
    {
        await using var elsewhere = await HostileServer.StartAsync();
        _server.Handler = (http, _) =>
        {
            http.Response.StatusCode = 307;
            // Credentials and the token in the URL: the dead letter must show neither.
            http.Response.Headers.Location = elsewhere.BaseUrl.Replace("http://", $"http://user:{SyncTestSupport.Token}@", StringComparison.Ordinal)
                                             + $"/collect?token={SyncTestSupport.Token}";
            return Task.CompletedTask;
        };
        var (sink, _, _) = Sink();

        var outcome = await sink.DeliverAsync(Events(20), CancellationToken.None);

        Assert.Equal(new BatchOutcome(0, 0, 20, 0, 0), outcome);
        Assert.Empty(elsewhere.Requests);
        var letters = DeadLetters();
        Assert.Equal(20, letters.Count);
        Assert.All(letters, l => Assert.Contains($"redirect (307) to http://***@{elsewhere.BaseUrl["http://".Length..]}/collect?***", l.GetProperty("reason").GetString()));
        AssertNoTokenInDeadLetters();
    }

    [Fact]
    public async Task A_redirect_followed_by_an_application_handler_is_still_not_a_delivery()
    {
        _server.Handler = (http, request) =>
        {
            if (request.PathAndQuery == EventsPath)
            {
                http.Response.StatusCode = 307;
                http.Response.Headers.Location = "/other-collector";
            }
            else
            {
                http.Response.StatusCode = 202;
            }
            return Task.CompletedTask;
        };
        var services = new ServiceCollection().AddLogging();
        services.AddSync();
        // An application that re-enables redirects on the sink's client (its handler, its choice): the sink still notices.
        SyncRegistration.AddSyncHttpClient(services).ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = true });
        var sp = services.BuildServiceProvider();
        var options = SyncTestSupport.SinkOptions(_server.BaseUrl, _deadLetters);
        var deadLetters = new DeadLetterFile(_deadLetters, TimeProvider.System, sp.GetRequiredService<ILogger<DeadLetterFile>>(), options.Token);
        var sink = new Protocol012HttpSink(options, sp.GetRequiredService<IHttpClientFactory>(), new SyncMetrics(), deadLetters, TimeProvider.System,
            sp.GetRequiredService<ILogger<Protocol012HttpSink>>());

        var outcome = await sink.DeliverAsync(Events(2), CancellationToken.None);

        Assert.Equal(new BatchOutcome(0, 0, 2, 0, 0), outcome);
        Assert.All(DeadLetters(), l => Assert.Contains($"redirected to {_server.BaseUrl}/other-collector by the HTTP handler", l.GetProperty("reason").GetString()));
    }

    // ------------------------------------------------------------------ item 2: 2xx bodies that cannot be read

    [Fact]
    public async Task A_2xx_with_an_invalid_charset_counts_by_its_status_and_the_rest_of_the_batch_is_unaffected()
    {
        var n = 0;
        _server.Handler = async (http, _) =>
        {
            var i = Interlocked.Increment(ref n);
            http.Response.StatusCode = i % 5 == 0 ? 200 : 202;
            // Every other answer claims a charset no decoder knows.
            http.Response.ContentType = i % 2 == 0 ? "application/json; charset=utf-9000" : "application/json";
            await http.Response.WriteAsync("""{"status":"accepted"}""");
        };
        var (sink, _, _) = Sink();

        var outcome = await sink.DeliverAsync(Events(50), CancellationToken.None);

        Assert.Equal(new BatchOutcome(50, 10, 0, 0, 0), outcome);
        Assert.Equal(50, _server.Requests.Count); // each event sent once: nothing was retried
        Assert.Empty(DeadLetters());
    }

    [Fact]
    public async Task A_202_cut_mid_body_is_delivered_without_a_retry()
    {
        _server.Handler = async (http, _) =>
        {
            http.Response.StatusCode = 202;
            http.Response.ContentLength = 1_000;
            await http.Response.WriteAsync("""{"event_id":""");
            await http.Response.Body.FlushAsync();
            // The server's behaviour, not a wait for the test: headers and a piece of the body, then a stall, then the cut.
            await Task.Delay(200);
            http.Abort();
        };
        var (sink, _, _) = Sink();

        var outcome = await sink.DeliverAsync(Events(4), CancellationToken.None);

        Assert.Equal(new BatchOutcome(4, 0, 0, 0, 0), outcome);
        Assert.Equal(4, _server.Requests.Count);
    }

    // ------------------------------------------------------------------ item 7: bodies that never end

    [Theory]
    [InlineData(202)]
    [InlineData(400)]
    public async Task An_endless_response_body_is_read_only_up_to_the_cap(int status)
    {
        _server.Handler = async (http, _) =>
        {
            http.Response.StatusCode = status;
            http.Response.ContentType = "text/plain";
            var chunk = Encoding.ASCII.GetBytes(new string('x', 64 * 1024));
            // Never ends by itself: only the client going away (or the server stopping) ends it.
            while (!http.RequestAborted.IsCancellationRequested) await http.Response.Body.WriteAsync(chunk, http.RequestAborted);
        };
        var (sink, _, _) = Sink(budget: TimeSpan.FromSeconds(10));

        var outcome = await sink.DeliverAsync(Events(1), CancellationToken.None);

        // A client that read the whole body would never get past the first attempt: it would time out and retry
        // until the budget is spent (undelivered), holding as much of the body as it could in memory meanwhile.
        Assert.Equal(status == 202 ? new BatchOutcome(1, 0, 0, 0, 0) : new BatchOutcome(0, 0, 1, 0, 0), outcome);
        Assert.Single(_server.Requests);
        if (status == 400)
        {
            var body = Assert.Single(DeadLetters()).GetProperty("response_body").GetString()!;
            Assert.Equal(new string('x', DeadLetterFile.MaxResponseBodyChars), body);
        }
    }

    // ------------------------------------------------------------------ item 8: the token echoed back

    public static TheoryData<string> Echoes() => new()
    {
        "raw",          // the request body as it came in
        "escaped",      // every character of the body as a \uXXXX escape inside a JSON string
        "url-encoded",  // form-encoded echo
        "html",         // an HTML error page quoting the body
    };

    [Theory]
    [MemberData(nameof(Echoes))]
    public async Task A_server_that_echoes_the_request_never_gets_the_token_into_the_dead_letters(string echo)
    {
        _server.Handler = async (http, request) =>
        {
            http.Response.StatusCode = 400;
            var body = echo switch
            {
                "raw" => $$"""{"error":"VALIDATION_ERROR","request":{{request.Body}}}""",
                "escaped" => $$"""{"error":"VALIDATION_ERROR","request":"{{string.Concat(request.Body.Select(c => $"\\u{(int)c:x4}"))}}"}""",
                "url-encoded" => "error=bad&request=" + Uri.EscapeDataString(request.Body),
                _ => $"<html><body><pre>{WebUtility.HtmlEncode(request.Body)}</pre></body></html>",
            };
            await http.Response.WriteAsync(body);
        };
        var (sink, _, _) = Sink();

        var outcome = await sink.DeliverAsync(Events(5), CancellationToken.None);

        Assert.Equal(new BatchOutcome(0, 0, 5, 0, 0), outcome);
        Assert.Contains(SyncTestSupport.Token, _server.Requests[0].Body); // it was sent, and echoed
        var letters = DeadLetters();
        Assert.Equal(5, letters.Count);
        Assert.All(letters, l => Assert.Contains("REDACTED", l.GetProperty("response_body").GetString()));
        AssertNoTokenInDeadLetters();
    }

    [Fact]
    public async Task A_response_body_is_scrubbed_before_it_is_cut_so_no_prefix_of_the_token_survives()
    {
        _server.Handler = async (http, _) =>
        {
            http.Response.StatusCode = 400;
            // The token straddles the 4,096-character cut.
            await http.Response.WriteAsync(new string('.', DeadLetterFile.MaxResponseBodyChars - 5) + SyncTestSupport.Token + "!");
        };
        var (sink, _, _) = Sink();

        await sink.DeliverAsync(Events(1), CancellationToken.None);

        var body = Assert.Single(DeadLetters()).GetProperty("response_body").GetString()!;
        Assert.EndsWith("....REDAC", body);
        AssertNoTokenInDeadLetters();
    }
}
