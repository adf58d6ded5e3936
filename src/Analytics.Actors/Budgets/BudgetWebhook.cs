using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Analytics.Contracts;
using Microsoft.Extensions.Logging;
using Analytics.Actors.Sync;
using Polly;
using Polly.Timeout;

namespace Analytics.Actors.Budgets;

/// <summary>
/// Posts each threshold crossing to <c>Analytics:Budgets:Webhook</c> as one JSON object, one at a time, from a bounded
/// queue the runner fills (so a slow or failing receiver never holds up evaluation). Each post runs under the Polly
/// pipeline sync uses (<see cref="HttpRetry"/>: total budget, back-off with jitter and Retry-After, per-attempt timeout):
/// 408, 429, 5xx, timeouts and connection failures are retried; another status is a permanent refusal. Every crossing
/// ends delivered, refused, given up or dropped, counted. The body carries the event id, so a receiver can drop the
/// duplicate a lost answer may cause. Credentials in the URL go in an <c>Authorization: Basic</c> header; the URL is
/// logged only without credentials and query.
/// </summary>
internal sealed class BudgetWebhook
{
    /// <summary>The named <see cref="HttpClient"/> the webhook uses.</summary>
    public const string HttpClientName = "analytics-budget-webhook";

    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly Uri _target;
    private readonly AuthenticationHeaderValue? _authorization;
    private readonly string _display;
    private readonly IHttpClientFactory _clients;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Channel<BudgetCrossing> _queue;
    private readonly ResiliencePipeline<Attempt> _pipeline;
    private readonly CancellationTokenSource _stop = new();
    private long _delivered, _refused, _givenUp, _dropped, _retries;

    public BudgetWebhook(Uri url, BudgetsOptions options, IHttpClientFactory clients, TimeProvider time, ILogger log)
    {
        _display = SyncOptions.Redact(url.OriginalString);
        if (url.UserInfo.Length > 0)
        {
            var credentials = Encoding.UTF8.GetBytes(Uri.UnescapeDataString(url.UserInfo));
            _authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(credentials));
        }
        _target = new UriBuilder(url) { UserName = "", Password = "" }.Uri;
        _clients = clients;
        _time = time;
        _log = log;
        _queue = Channel.CreateBounded<BudgetCrossing>(new BoundedChannelOptions(options.WebhookQueueCapacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait, // with TryWrite this means "refuse", which is counted
        });
        _pipeline = HttpRetry.Pipeline<Attempt>(time, options.WebhookRetryBudget, options.WebhookRetryDelay, options.WebhookMaxRetryDelay,
            options.WebhookTimeout, (a, _) => HttpRetry.IsTransient(a.Status), a => a.RetryAfter, () => Interlocked.Increment(ref _retries));
    }

    /// <summary>Crossings the receiver accepted (2xx).</summary>
    public long Delivered => Volatile.Read(ref _delivered);

    /// <summary>Crossings the receiver refused permanently (a status other than 2xx, 408, 429 and 5xx).</summary>
    public long Refused => Volatile.Read(ref _refused);

    /// <summary>Crossings given up on: the retry budget spent, a transport failure at the end, or the shutdown.</summary>
    public long GivenUp => Volatile.Read(ref _givenUp);

    /// <summary>Crossings not queued because the queue was full.</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Attempts that retried an earlier one.</summary>
    public long Retries => Volatile.Read(ref _retries);

    /// <summary>Ends once the queue is completed and empty.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>Starts posting.</summary>
    public void Start() => Completion = Task.Run(RunAsync);

    /// <summary>Queues a crossing; never waits.</summary>
    public void Offer(BudgetCrossing crossing)
    {
        if (_queue.Writer.TryWrite(crossing)) return;
        if (Interlocked.Increment(ref _dropped) == 1)
            _log.LogError("Budget webhook {Url}: its queue is full, so threshold events are not posted (counted); the receiver is down or slow", _display);
    }

    /// <summary>Posts what is queued for at most <paramref name="timeout"/>, then gives up on the rest.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        _queue.Writer.TryComplete();
        try
        {
            await Completion.WaitAsync(timeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            await Completion.ConfigureAwait(false);
        }
    }

    private async Task RunAsync()
    {
        await foreach (var crossing in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (_stop.IsCancellationRequested)
            {
                GiveUp(crossing, "the shutdown came first");
                continue;
            }
            await PostAsync(crossing).ConfigureAwait(false);
        }
    }

    private async Task PostAsync(BudgetCrossing crossing)
    {
        var body = Payload(crossing);
        var context = ResilienceContextPool.Shared.Get(_stop.Token);
        try
        {
            var last = await _pipeline.ExecuteAsync(static (ctx, state) => state.Self.AttemptAsync(state.Body, ctx.CancellationToken),
                context, (Self: this, Body: body)).ConfigureAwait(false);
            if (last.Status is >= 200 and < 300)
            {
                Interlocked.Increment(ref _delivered);
            }
            else
            {
                Interlocked.Increment(ref _refused);
                _log.LogError("Budget webhook {Url} refused the {Threshold}% event of budget {Budget} with status {Status}; not retried",
                    _display, crossing.ThresholdPercent, crossing.Budget.Name, last.Status);
            }
        }
        catch (Exception e)
        {
            // Whatever went wrong, this crossing alone is settled (given up, logged); the next one is still posted.
            GiveUp(crossing, e switch
            {
                TimeoutRejectedException => "the retry budget was spent",
                OperationCanceledException => "the shutdown came first",
                _ => $"{e.GetType().Name} on the last attempt",
            });
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async ValueTask<Attempt> AttemptAsync(byte[] body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _target) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = Json;
        request.Headers.Authorization = _authorization;
        using var response = await _clients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        return new Attempt((int)response.StatusCode, HttpRetry.RetryAfter(response.Headers.RetryAfter, _time));
    }

    private void GiveUp(BudgetCrossing crossing, string reason)
    {
        Interlocked.Increment(ref _givenUp);
        _log.LogError("Budget webhook {Url}: the {Threshold}% event of budget {Budget} (window {WindowStart}) was not delivered: {Reason}",
            _display, crossing.ThresholdPercent, crossing.Budget.Name, BudgetWindows.Iso(crossing.WindowStartMs), reason);
    }

    /// <summary>The JSON body: the event, the budget's definition and its window. Field names are a contract: add, never rename.</summary>
    internal static byte[] Payload(BudgetCrossing c)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            var e = c.ToEvent();
            w.WriteStartObject();
            w.WriteString("event_type", EventTypes.BudgetThresholdReached);
            w.WriteString("event_id", e.EventId);
            w.WriteNumber("timestamp_ms", e.TimestampMs);
            w.WriteString("budget", c.Budget.Name);
            w.WriteString("scope", c.Budget.Scope.ToString().ToLowerInvariant());
            w.WriteString("scope_value", c.Budget.Value);
            w.WriteString("window", c.Budget.Window.ToString().ToLowerInvariant());
            w.WriteString("window_start", BudgetWindows.Iso(c.WindowStartMs));
            w.WriteString("window_end", BudgetWindows.Iso(c.WindowEndMs));
            w.WriteNumber("threshold_percent", c.ThresholdPercent);
            w.WriteNumber("spent_micros", c.SpentMicros);
            w.WriteNumber("limit_micros", c.Budget.LimitMicros);
            if (e.AgentId is { } agent) w.WriteString("agent_id", agent);
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>One attempt's answer.</summary>
    private sealed record Attempt(int Status, TimeSpan? RetryAfter);
}
