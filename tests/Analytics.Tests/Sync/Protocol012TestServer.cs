using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Analytics.Tests.Sync;

/// <summary>
/// A real Protocol 012 Control API on 127.0.0.1 (free port) for the sync tests: it validates every body as
/// PROTOCOL-012.md says, deduplicates on (ic_token, event_id), records each request with its arrival time, and
/// injects faults on request numbers (1-based, in arrival order).
/// </summary>
public sealed class Protocol012TestServer : IAsyncDisposable
{
    public const string EventsPath = "/api/v1/analytics/events";

    private static readonly HashSet<string> Fields =
    [
        "ic_token", "event_id", "timestamp_ms", "event_type", "model", "provider",
        "input_tokens", "output_tokens", "cost_micros", "provider_id", "error_code", "error_message",
    ];

    private WebApplication _app = null!;
    private readonly ConcurrentDictionary<(string Token, string EventId), JsonElement> _stored = new();
    private readonly ConcurrentQueue<Request> _requests = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TaskCompletionSource _stall = Released();
    private int _count;

    private Protocol012TestServer()
    {
    }

    /// <summary>Base URL, for example <c>http://127.0.0.1:41234</c>.</summary>
    public string BaseUrl { get; private set; } = "";

    // ------------------------------------------------------------ fault knobs (set before the requests they affect)

    /// <summary>Requests 1..N answer 500.</summary>
    public int FailFirst { get; set; }

    /// <summary>Every k-th request answers 429 with <see cref="RetryAfter"/> (0 = never).</summary>
    public int TooManyEvery { get; set; }

    /// <summary>The <c>Retry-After</c> value sent with 429 (seconds or an HTTP date); null sends none.</summary>
    public Func<string>? RetryAfter { get; set; } = () => "1";

    /// <summary>Requests numbered From..To (inclusive) answer 503.</summary>
    public (int From, int To)? UnavailableWindow { get; set; }

    /// <summary>Every m-th request is stored, then answered only after <see cref="SlowDelay"/> (0 = never).</summary>
    public int SlowEvery { get; set; }

    /// <summary>How late a slow request is answered.</summary>
    public TimeSpan SlowDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Providers the server accepts; anything else is a 400 VALIDATION_ERROR.</summary>
    public HashSet<string> AcceptedProviders { get; } = ["openai", "anthropic", "unknown"];

    /// <summary>The one token accepted (others get 401); null accepts any non-empty token.</summary>
    public string? ValidToken { get; set; }

    /// <summary>Turns every transient fault on at once (500s first, 429s, a 503 window, slow answers).</summary>
    public void InjectTransientFaults(int failFirst, int tooManyEvery, string retryAfter, (int From, int To) unavailable, int slowEvery, TimeSpan slowDelay)
    {
        FailFirst = failFirst;
        TooManyEvery = tooManyEvery;
        RetryAfter = () => retryAfter;
        UnavailableWindow = unavailable;
        SlowEvery = slowEvery;
        SlowDelay = slowDelay;
    }

    // ------------------------------------------------------------ what happened

    /// <summary>Stored events, one per (token, event id).</summary>
    public IReadOnlyDictionary<(string Token, string EventId), JsonElement> Stored => _stored;

    /// <summary>Every request in arrival order.</summary>
    public IReadOnlyList<Request> Requests => [.. _requests];

    /// <summary>Requests received so far.</summary>
    public int RequestCount => Volatile.Read(ref _count);

    /// <summary>The requests that carried <paramref name="eventId"/>, in arrival order.</summary>
    public List<Request> RequestsFor(string eventId) => Requests.Where(r => r.EventId == eventId).OrderBy(r => r.Number).ToList();

    /// <summary>From now on every request waits until <see cref="Release"/> (the server is stalled).</summary>
    public void Stall() => Interlocked.Exchange(ref _stall, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Lets stalled requests go on.</summary>
    public void Release() => Volatile.Read(ref _stall).TrySetResult();

    /// <summary>Starts a server on 127.0.0.1 with a free port.</summary>
    public static async Task<Protocol012TestServer> StartAsync()
    {
        var server = new Protocol012TestServer();
        (server._app, server.BaseUrl) = await LoopbackApp.StartAsync(app => app.MapPost(EventsPath, server.HandleAsync));
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        await LoopbackApp.StopAsync(_app);
    }

    private async Task HandleAsync(HttpContext http)
    {
        var number = Interlocked.Increment(ref _count);
        var at = _clock.Elapsed;
        string? eventId = null;
        var status = 0;
        var stored = false;
        try
        {
            await Volatile.Read(ref _stall).Task.WaitAsync(http.RequestAborted);

            JsonElement body;
            try
            {
                using var doc = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
                body = doc.RootElement.Clone();
            }
            catch (JsonException e)
            {
                status = await Answer(http, 400, new { error = "VALIDATION_ERROR", message = $"body is not JSON: {e.Message}" });
                return;
            }
            if (body.ValueKind == JsonValueKind.Object && body.TryGetProperty("event_id", out var id) && id.ValueKind == JsonValueKind.String)
                eventId = id.GetString();

            if (number <= FailFirst)
            {
                status = await Answer(http, 500, new { error = "INTERNAL", message = "injected: first requests fail" });
                return;
            }
            if (UnavailableWindow is { } w && number >= w.From && number <= w.To)
            {
                status = await Answer(http, 503, new { error = "UNAVAILABLE", message = "injected: window of 503s" });
                return;
            }
            if (TooManyEvery > 0 && number % TooManyEvery == 0)
            {
                if (RetryAfter is { } retryAfter) http.Response.Headers.RetryAfter = retryAfter();
                status = await Answer(http, 429, new { error = "RATE_LIMITED", message = "injected: every k-th request" });
                return;
            }

            var problem = Validate(body);
            if (problem is not null)
            {
                status = await Answer(http, 400, new { error = "VALIDATION_ERROR", message = problem });
                return;
            }
            var token = body.GetProperty("ic_token").GetString()!;
            if (ValidToken is not null && token != ValidToken)
            {
                status = await Answer(http, 401, new { error = "UNAUTHORIZED", message = "invalid ic_token" });
                return;
            }

            stored = _stored.TryAdd((token, eventId!), body);
            if (SlowEvery > 0 && number % SlowEvery == 0)
            {
                // Stored first, answered late: a client that times out and retries must get a duplicate, not a second copy.
                await Task.Delay(SlowDelay, http.RequestAborted);
            }
            status = stored
                ? await Answer(http, 202, new { event_id = eventId, status = "accepted" })
                : await Answer(http, 200, new { event_id = eventId, status = "duplicate" });
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            status = -1; // the client gave up (timeout or shutdown)
        }
        finally
        {
            _requests.Enqueue(new Request(number, at, eventId, status, stored));
        }
    }

    private static async Task<int> Answer(HttpContext http, int status, object body)
    {
        http.Response.StatusCode = status;
        await http.Response.WriteAsJsonAsync(body, http.RequestAborted);
        return status;
    }

    /// <summary>PROTOCOL-012.md, field by field. Returns the problem or null.</summary>
    internal string? Validate(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) return "body must be a JSON object";
        foreach (var p in body.EnumerateObject())
        {
            if (!Fields.Contains(p.Name)) return $"unknown field '{p.Name}'";
            if (p.Value.ValueKind == JsonValueKind.Null) return $"'{p.Name}' is null: absent fields must be omitted";
        }
        if (NonEmptyString(body, "ic_token") is { } e1) return e1;
        if (NonEmptyString(body, "event_id") is { } e2) return e2;
        if (Count(body, "timestamp_ms", required: true) is { } e3) return e3;
        if (NonEmptyString(body, "event_type") is { } e4) return e4;
        var type = body.GetProperty("event_type").GetString();
        if (type is not ("llm_request_completed" or "llm_request_failed")) return $"event_type '{type}' is not accepted";
        if (NonEmptyString(body, "model") is { } e5) return e5;
        if (NonEmptyString(body, "provider") is { } e6) return e6;
        var provider = body.GetProperty("provider").GetString()!;
        if (!AcceptedProviders.Contains(provider)) return $"provider '{provider}' is not accepted";
        var completed = type == "llm_request_completed";
        foreach (var field in new[] { "input_tokens", "output_tokens", "cost_micros" })
        {
            if (Count(body, field, required: completed) is { } e7) return e7;
        }
        foreach (var field in new[] { "provider_id", "error_code", "error_message" })
        {
            if (body.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.String) return $"'{field}' must be a string";
        }
        return null;
    }

    private static string? NonEmptyString(JsonElement body, string name) =>
        !body.TryGetProperty(name, out var v) ? $"'{name}' is required"
        : v.ValueKind != JsonValueKind.String || v.GetString()!.Length == 0 ? $"'{name}' must be a non-empty string"
        : null;

    private static string? Count(JsonElement body, string name, bool required)
    {
        if (!body.TryGetProperty(name, out var v)) return required ? $"'{name}' is required" : null;
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n >= 0 ? null : $"'{name}' must be an integer >= 0";
    }

    private static TaskCompletionSource Released()
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        tcs.SetResult();
        return tcs;
    }

    /// <summary>One request as the server saw it.</summary>
    /// <param name="Number">1-based arrival number.</param>
    /// <param name="At">Arrival time since the server started.</param>
    /// <param name="EventId">The body's event id, if it had one.</param>
    /// <param name="Status">The status answered; -1 when the client went away first.</param>
    /// <param name="NewlyStored">True when this request stored its event (false for duplicates and faults).</param>
    public sealed record Request(int Number, TimeSpan At, string? EventId, int Status, bool NewlyStored);
}
