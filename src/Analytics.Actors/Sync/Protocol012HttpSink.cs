using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Analytics.Contracts;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Analytics.Actors.Sync;

/// <summary>
/// Delivers events to a Protocol 012 Control API: one POST per event, up to
/// <see cref="SyncOptions.MaxConcurrentRequestsPerBatch"/> of a batch in flight at once, each event under a Polly
/// pipeline of <c>total budget timeout -> retry (exponential back-off with jitter, Retry-After) -> per-attempt timeout</c>.
/// The body of an event is serialised once, so every retry carries the same <c>event_id</c> and the server's
/// deduplication turns at-least-once delivery into effectively-once storage.
/// </summary>
/// <remarks>
/// Responses are classified per the protocol, by status alone: 202 delivered; 200 delivered (duplicate); 408, 429, 5xx,
/// timeouts and connection failures retried within <see cref="SyncOptions.RetryBudget"/>; 401 rejected, logged as an
/// error once, and every later event rejected without being sent (the token will not become valid by itself); 3xx
/// rejected (redirects are never followed: the body carries the token, and a POST turned into a GET would look
/// delivered while nothing was stored); 400 and any other status rejected without retry. A response body is read only
/// up to <see cref="MaxResponseBodyBytes"/>, as bytes (its charset is never trusted), and only for the dead letter: a
/// 2xx whose body cannot be read still counts by its status. Every event not delivered is written to the dead-letter
/// file with its reason; no failure of one event can affect another's outcome.
/// </remarks>
internal sealed class Protocol012HttpSink : ISyncSink
{
    /// <summary>The named <see cref="HttpClient"/> this sink uses (configure it with <c>services.AddHttpClient(name)</c>).</summary>
    public const string HttpClientName = "analytics-sync";

    /// <summary>The most of a response body read (64 KiB); the rest is never read, so a huge body costs nothing.</summary>
    public const int MaxResponseBodyBytes = 64 * 1024;

    private static readonly ResiliencePropertyKey<long> StartedKey = new("analytics-sync.started");
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly IHttpClientFactory _clients;
    private readonly SyncMetrics _metrics;
    private readonly DeadLetterFile _deadLetters;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Uri _uri;
    private readonly string _token;
    private readonly TimeSpan _budget;
    private readonly int _perBatch;
    private readonly ResiliencePipeline<Attempt> _pipeline;
    private int _unauthorized;
    private int _redirectReported;

    /// <summary>Creates the sink.</summary>
    /// <param name="options">Validated sync options with an endpoint and a token.</param>
    /// <param name="clients">Source of the named <see cref="HttpClientName"/> client.</param>
    /// <param name="metrics">Receives retry counts as they happen.</param>
    /// <param name="deadLetters">Receives every event not delivered.</param>
    /// <param name="time">Clock for the retry budget and HTTP-date <c>Retry-After</c> values.</param>
    /// <param name="log">Logger; the token is never written to it.</param>
    public Protocol012HttpSink(SyncOptions options, IHttpClientFactory clients, SyncMetrics metrics, DeadLetterFile deadLetters, TimeProvider time, ILogger log)
    {
        _clients = clients;
        _metrics = metrics;
        _deadLetters = deadLetters;
        _time = time;
        _log = log;
        _uri = options.EventsUri;
        _token = options.Token ?? throw new ArgumentException("Analytics:Sync:Token is required", nameof(options));
        _budget = options.RetryBudget;
        _perBatch = options.MaxConcurrentRequestsPerBatch;
        _pipeline = BuildPipeline(options, time);
    }

    /// <summary>True once the server refused the token.</summary>
    public bool TokenRefused => Volatile.Read(ref _unauthorized) != 0;

    /// <inheritdoc />
    public async Task<BatchOutcome> DeliverAsync(IReadOnlyList<AnalyticsEvent> batch, CancellationToken cancellationToken)
    {
        var client = _clients.CreateClient(HttpClientName); // per batch, so the factory can rotate handlers
        var results = new EventResult[batch.Count];
        // Deliberately no cancellation token here: on shutdown each remaining event must still be settled (fast, as undelivered).
        await Parallel.ForEachAsync(Enumerable.Range(0, batch.Count), new ParallelOptions { MaxDegreeOfParallelism = _perBatch },
            async (i, _) => results[i] = await DeliverOneAsync(client, batch[i], cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);

        int delivered = 0, duplicates = 0, rejected = 0, unauthorized = 0, undelivered = 0;
        foreach (var r in results)
        {
            switch (r)
            {
                case EventResult.Delivered: delivered++; break;
                case EventResult.Duplicate: delivered++; duplicates++; break;
                case EventResult.Rejected: rejected++; break;
                case EventResult.Unauthorized: rejected++; unauthorized++; break;
                default: undelivered++; break;
            }
        }
        return new BatchOutcome(delivered, duplicates, rejected, unauthorized, undelivered);
    }

    private async Task<EventResult> DeliverOneAsync(HttpClient client, AnalyticsEvent e, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
            return await GiveUp(e, null, "shutdown: the flush timeout passed before this event was sent").ConfigureAwait(false);
        if (TokenRefused)
        {
            await _deadLetters.AppendAsync(e, 401, null, "unauthorized: the server refused the token earlier (401); not sent").ConfigureAwait(false);
            return EventResult.Unauthorized;
        }

        byte[] body;
        try
        {
            body = Protocol012.Serialize(e, _token);
        }
        catch (ArgumentException ex)
        {
            await _deadLetters.AppendAsync(e, null, null, $"not sendable: {ex.Message}").ConfigureAwait(false);
            return EventResult.Rejected;
        }

        var trace = new AttemptTrace();
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(StartedKey, _time.GetTimestamp());
        try
        {
            var last = await _pipeline.ExecuteAsync(
                static (ctx, state) => state.Sink.AttemptAsync(state.Client, state.Body, state.Trace, ctx.CancellationToken),
                context, (Sink: this, Client: client, Body: body, Trace: trace)).ConfigureAwait(false);
            return await Classify(e, last).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return await GiveUp(e, trace, "shutdown: the flush timeout passed while this event was being delivered").ConfigureAwait(false);
        }
        catch (TimeoutRejectedException)
        {
            // Per-attempt timeouts are retried inside the pipeline, so one that escapes is the total budget's.
            return await GiveUp(e, trace, $"retry budget {_budget:c} spent ({trace.Describe()})").ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return await GiveUp(e, trace, $"transport failure: {ex.Message}").ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A defect or a handler's surprise: this event alone is settled (undelivered, dead-lettered), never the batch.
            _log.LogError("Sync delivery of event {EventId} failed unexpectedly ({ExceptionType}: {Reason}); it is dead-lettered as undelivered",
                e.EventId, ex.GetType().Name, SecretScrubber.Scrub(ex.Message, _token));
            return await GiveUp(e, trace, $"unexpected failure: {ex.GetType().Name}: {ex.Message}").ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async ValueTask<Attempt> AttemptAsync(HttpClient client, byte[] body, AttemptTrace trace, CancellationToken cancellationToken)
    {
        trace.Attempts++;
        trace.LastError = "no answer within Analytics:Sync:Timeout"; // stays if the attempt times out
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _uri) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = Json;
            // Headers first: the status decides the outcome, and the body is read by hand, capped.
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var text = await ReadBodyAsync(response.Content, status, cancellationToken).ConfigureAwait(false);
            // A handler configured by the application may follow redirects anyway: the final request then is not ours.
            var redirectedTo = response.RequestMessage?.RequestUri is { } final && final != _uri ? final : null;
            var attempt = new Attempt(status, text, RetryAfter(response.Headers.RetryAfter), response.Headers.Location, redirectedTo);
            trace.Last = attempt;
            trace.LastError = null;
            return attempt;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            trace.LastError = ex.Message;
            throw;
        }
    }

    /// <summary>
    /// At most <see cref="MaxResponseBodyBytes"/> of the body, decoded as UTF-8 whatever the charset says (invalid bytes
    /// become U+FFFD; the text only ever goes to a dead letter). For a 2xx a body that fails to arrive does not matter:
    /// the status already says the server holds the event.
    /// </summary>
    private static async Task<string> ReadBodyAsync(HttpContent content, int status, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxResponseBodyBytes);
        try
        {
            var read = 0;
            await using (var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false))
            {
                int n;
                while (read < MaxResponseBodyBytes && (n = await stream.ReadAsync(buffer.AsMemory(read, MaxResponseBodyBytes - read), cancellationToken).ConfigureAwait(false)) > 0)
                    read += n;
            }
            return Encoding.UTF8.GetString(buffer, 0, read);
        }
        catch (Exception ex) when (status is >= 200 and < 300 && ex is HttpRequestException or IOException or OperationCanceledException)
        {
            return $"(the body could not be read: {ex.Message})";
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async ValueTask<EventResult> Classify(AnalyticsEvent e, Attempt last)
    {
        if (last.RedirectedTo is { } final)
        {
            return await Redirected(e, last,
                $"redirected to {Display(final)} by the HTTP handler (status {last.Status} there); a redirect is not a delivery: point Analytics:Sync:Endpoint at the final URL").ConfigureAwait(false);
        }
        switch (last.Status)
        {
            case >= 300 and < 400:
                var target = last.Location is { } location ? Display(location) : "(no Location header)";
                return await Redirected(e, last,
                    $"redirect ({last.Status}) to {target}: not followed, so the body and its token go nowhere else; point Analytics:Sync:Endpoint at the final URL").ConfigureAwait(false);
            case 200:
                return EventResult.Duplicate;
            case >= 200 and < 300:
                return EventResult.Delivered;
            case 401:
                if (Interlocked.Exchange(ref _unauthorized, 1) == 0)
                {
                    _log.LogError(
                        "The sync endpoint {Endpoint} refused the token with 401 UNAUTHORIZED: no more events will be sent; they are counted as rejected " +
                        "and written to {DeadLetterPath}. Fix Analytics:Sync:Token and restart.", _uri, _deadLetters.Path);
                }
                await _deadLetters.AppendAsync(e, last.Status, last.Body, "unauthorized (401): the token was refused; not retried").ConfigureAwait(false);
                return EventResult.Unauthorized;
            case var s when IsTransient(s):
                // Only reached when the retry predicate stopped because Retry-After points past the budget.
                return await GiveUp(e, new AttemptTrace { Last = last },
                    $"retry budget {_budget:c}: the server asked to retry after {last.RetryAfter:c}, past what is left of the budget").ConfigureAwait(false);
            default:
                await _deadLetters.AppendAsync(e, last.Status, last.Body,
                    last.Status == 400 ? "validation error (400): rejected permanently, not retried" : $"status {last.Status}: rejected permanently, not retried").ConfigureAwait(false);
                return EventResult.Rejected;
        }
    }

    private async ValueTask<EventResult> Redirected(AnalyticsEvent e, Attempt last, string reason)
    {
        if (Interlocked.Exchange(ref _redirectReported, 1) == 0)
            _log.LogError("The sync endpoint {Endpoint} answered with a redirect: {Reason}. Redirected events are rejected and dead-lettered in {DeadLetterPath}.",
                _uri, SecretScrubber.Scrub(reason, _token), _deadLetters.Path);
        await _deadLetters.AppendAsync(e, last.Status, last.Body, reason).ConfigureAwait(false);
        return EventResult.Rejected;
    }

    /// <summary>A URL a server sent, for a message: credentials in it are redacted, relative ones resolved against ours.</summary>
    private string Display(Uri uri)
    {
        var absolute = uri.IsAbsoluteUri ? uri : new Uri(_uri, uri);
        return SyncOptions.Redact(absolute.OriginalString);
    }

    private async ValueTask<EventResult> GiveUp(AnalyticsEvent e, AttemptTrace? trace, string reason)
    {
        await _deadLetters.AppendAsync(e, trace?.Last?.Status, trace?.Last?.Body, reason).ConfigureAwait(false);
        return EventResult.Undelivered;
    }

    private ResiliencePipeline<Attempt> BuildPipeline(SyncOptions options, TimeProvider time) =>
        HttpRetry.Pipeline<Attempt>(time, options.RetryBudget, options.RetryDelay, options.MaxRetryDelay, options.Timeout,
            (a, context) => IsTransient(a.Status) && RetryFitsBudget(context, a.RetryAfter), a => a.RetryAfter, _metrics.CountRetry);

    private bool RetryFitsBudget(ResilienceContext context, TimeSpan? retryAfter)
    {
        if (retryAfter is not { } wait || !context.Properties.TryGetValue(StartedKey, out var started)) return true;
        return _time.GetElapsedTime(started) + wait < _budget;
    }

    private TimeSpan? RetryAfter(RetryConditionHeaderValue? header) => HttpRetry.RetryAfter(header, _time);

    internal static bool IsTransient(int status) => HttpRetry.IsTransient(status);

    private enum EventResult
    {
        Delivered,
        Duplicate,
        Rejected,
        Unauthorized,
        Undelivered,
    }

    /// <summary>The answer to one attempt.</summary>
    internal sealed record Attempt(int Status, string Body, TimeSpan? RetryAfter, Uri? Location = null, Uri? RedirectedTo = null);

    /// <summary>What the attempts of one event saw, for the dead-letter entry.</summary>
    private sealed class AttemptTrace
    {
        public int Attempts { get; set; }
        public Attempt? Last { get; set; }
        public string? LastError { get; set; }

        public string Describe() => string.Create(CultureInfo.InvariantCulture,
            $"{Attempts} attempts, last: {(LastError is not null ? LastError : Last is null ? "timed out" : $"status {Last.Status}")}");
    }
}
